"""The Avalon backend through the gateway, against the simulator over real sockets.

Tests start at ``GET /`` and navigate by relation names only; URLs are never built.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.avalon import mapping
from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, DEFAULT_USER_KEY, AvalonSimulator
from gateway.web import hal
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import PROBLEM, Doc, Navigator


@pytest.fixture
async def simulator() -> AsyncIterator[AvalonSimulator]:
    # As the real server: vocabulary updates by PUT only.
    sim = AvalonSimulator(purge_delay_s=0.05, vocabulary_post=False)
    await sim.start()
    yield sim
    await sim.close()


@pytest.fixture
async def client(
    simulator: AvalonSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    """A gateway with three Avalon backends on one simulator: admin, viewer, unknown key."""
    config = make_config(
        backends={
            "archive": {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_ADMIN_KEY},
            "readonly": {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_USER_KEY},
            "misconfigured": {
                "kind": "avalon",
                "url": simulator.url,
                "api_key": "0" * 128,
                "retries": 0,
            },
        }
    )
    return await gateway(config)


@pytest.fixture
def nav(client: TestClient[Any, Any]) -> Navigator:
    return Navigator(client, "archive")


async def test_media_objects_page_through_every_item_once(nav: Navigator) -> None:
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects", per_page=4)
    total = page["page"]["totalElements"]
    ids: list[str] = []
    numbers = []
    while True:
        numbers.append(page["page"]["number"])
        items = page["_embedded"]["avalon:media-object"]
        assert all(item["_links"]["self"]["href"] for item in items)
        ids += [item["id"] for item in items]
        if "next" not in page["_links"]:
            break
        page = await nav.follow(page, "next")
    assert len(ids) == len(set(ids)) == total > 4
    assert numbers == list(range(1, page["page"]["totalPages"] + 1))
    assert page["_links"]["last"]["href"] == page["_links"]["self"]["href"]
    back = await nav.follow(page, "prev")
    assert back["page"]["number"] == page["page"]["number"] - 1
    first = await nav.follow(back, "first")
    assert [i["id"] for i in first["_embedded"]["avalon:media-object"]] == ids[:4]


async def test_media_object_links_collection_master_files_and_streams(nav: Navigator) -> None:
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects")
    item = next(i for i in page["_embedded"]["avalon:media-object"] if i["collection_id"])
    media_object = await nav.follow(item, "self")
    assert "files" not in media_object
    master = media_object["_embedded"]["avalon:master-file"][0]
    assert "file_location" not in master
    streams = master["_links"]["avalon:derivative"]
    assert streams
    assert all(s["type"] == "application/vnd.apple.mpegurl" for s in streams)
    derivatives = master["_embedded"]["avalon:derivative"]
    assert {d["_links"]["self"]["href"] for d in derivatives} >= {s["href"] for s in streams}
    assert all("derivativeFile" not in d for d in derivatives)
    same = await nav.follow(media_object, "avalon:master-file", master["id"])
    assert same["id"] == master["id"]
    response, playlist = await nav.request("GET", streams[0]["href"])
    assert response.status == 200
    assert b"#EXTM3U" in playlist
    collection = await nav.follow(media_object, "avalon:collection")
    assert collection["id"] == media_object["collection_id"]
    items = await nav.follow(collection, "avalon:items", per_page=1)
    embedded = items["_embedded"]["avalon:media-object"]
    assert len(embedded) == 1
    assert items["page"]["totalElements"] == collection["object_count"]["total"]


async def test_include_structure_is_passed_on(nav: Navigator) -> None:
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects", per_page=50)
    ids = [i["id"] for i in page["_embedded"]["avalon:media-object"]]
    plain = await nav.follow(backend, "avalon:media-object", id=ids[0])
    with_structure = await nav.follow(
        backend, "avalon:media-object", id=ids[0], include_structure="true"
    )
    assert plain["id"] == with_structure["id"] == ids[0]
    plain_files = plain["_embedded"]["avalon:master-file"]
    structured_files = with_structure["_embedded"]["avalon:master-file"]
    assert plain_files
    assert all(f["structure"] is None for f in plain_files)
    assert all(f["structure"] for f in structured_files)


async def test_create_update_delete_round_trip(nav: Navigator) -> None:
    backend = await nav.backend()
    collections = await nav.follow(backend, "avalon:collections")
    collection_id = collections["_embedded"]["avalon:collection"][0]["id"]
    create = nav.href(backend, "avalon:media-objects")
    body = {"collection_id": collection_id, "fields": {"title": "Interview", "date_issued": "2024"}}
    response, created = await nav.request("POST", create, json=body)
    assert response.status == 201
    assert response.headers["Location"] == created["_links"]["self"]["href"]
    assert created["title"] == "Interview"
    assert created["_links"]["avalon:collection"]["href"].endswith(collection_id)

    update = {"fields": {"title": "Interview, edited", "date_issued": "2024"}}
    response, updated = await nav.request("PUT", response.headers["Location"], json=update)
    assert response.status == 200
    assert updated["title"] == "Interview, edited"
    assert (await nav.follow(updated, "self"))["title"] == "Interview, edited"

    response, queued = await nav.request("DELETE", updated["_links"]["self"]["href"])
    assert response.status == 202
    assert queued["status"] == "queued"
    response, gone = await nav.request("GET", updated["_links"]["self"]["href"])
    assert response.status == 404
    assert gone["upstream_status"] in (404, 410)


async def test_update_publishes_and_replaces_master_files(nav: Navigator) -> None:
    media_object = await _first_media_object(nav)
    href = media_object["_links"]["self"]["href"]
    hls = "https://media.example.org/avalon/replacement.mp4/index.m3u8"
    master: Doc = {
        "label": "Replacement",
        "file_location": "/srv/avalon/dropbox/replacement.mp4",
        "duration": "30101",
        "files": [
            {
                "label": "quality-high",
                "url": "rtmp://media.example.org/avalon/mp4:replacement",
                "hls_url": hls,
                "duration": "30102",
                "mime_type": "video/mp4",
            }
        ],
    }
    body = {"files": [master], "replace_masterfiles": True, "publish": True}
    response, updated = await nav.request("PUT", href, json=body)
    assert response.status == 200, updated
    assert updated["published"] is True
    masters = updated["_embedded"]["avalon:master-file"]
    assert [m["label"] for m in masters] == ["Replacement"]
    assert masters[0]["_links"]["avalon:derivative"][0]["href"] == hls
    response, unpublished = await nav.request("PUT", href, json={"files": []})
    assert response.status == 200
    assert unpublished["published"] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"fields": {"date_issued": "2024"}}, "Title can't be blank", id="no-title"),
        pytest.param(
            {"collection_id": "nope", "fields": {"title": "T", "date_issued": "2024"}},
            "Collection not found for nope",
            id="unknown-collection",
        ),
    ],
)
async def test_upstream_validation_becomes_400_with_its_messages(
    nav: Navigator, body: Doc, message: str
) -> None:
    backend = await nav.backend()
    response, problem = await nav.request(
        "POST", nav.href(backend, "avalon:media-objects"), json=body
    )
    assert response.status == 400
    assert response.content_type == PROBLEM
    assert problem["upstream_status"] == 422
    assert problem["backend"] == "archive"
    assert any(message in m for m in problem["errors"])


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        pytest.param({"page": "0"}, "page must be at least 1", id="page-zero"),
        pytest.param({"per_page": "many"}, "per_page must be an integer", id="per-page-word"),
        pytest.param({"per_page": "501"}, "at most 500", id="per-page-too-large"),
    ],
)
async def test_bad_paging_parameters_are_400(
    nav: Navigator, query: dict[str, str], detail: str
) -> None:
    backend = await nav.backend()
    href = nav.href(backend, "avalon:media-objects")
    response, problem = await nav.request("GET", href, params=query)
    assert response.status == 400
    assert detail in problem["detail"]


async def test_unknown_ids_are_404(nav: Navigator) -> None:
    backend = await nav.backend()
    for rel in ("avalon:media-object", "avalon:collection"):
        response, problem = await nav.request("GET", nav.href(backend, rel, id="no-such-id"))
        assert response.status == 404
        assert problem["upstream_status"] == 404
        assert problem["errors"] == ["no-such-id not found"]


async def test_unknown_key_is_503_login_failed_and_missing_permission_401(nav: Navigator) -> None:
    bad = await nav.backend("misconfigured")
    response, problem = await nav.request("GET", nav.href(bad, "avalon:media-objects"))
    # Avalon's 403 for an unknown token is the gateway's configuration at fault.
    assert response.status == 503
    assert problem["code"] == "upstream-login-failed"
    assert problem["backend"] == "misconfigured"
    assert problem["errors"] == ["Permission denied."]
    assert "0" * 128 not in json.dumps(problem)

    viewer = await nav.backend("readonly")
    units = nav.href(viewer, "avalon:vocabulary", name="units")
    for method, body in (("GET", None), ("PUT", {"entry": "Nope"})):
        response, problem = await nav.request(method, units, json=body)
        assert response.status == 403  # a 401 would tell the client to log in again
        assert problem["upstream_status"] == 401
        assert problem["backend"] == "readonly"


async def test_non_editors_see_no_master_files(nav: Navigator) -> None:
    viewer = await nav.backend("readonly")
    page = await nav.follow(viewer, "avalon:media-objects", per_page=50)
    for item in page["_embedded"]["avalon:media-object"]:
        assert "avalon:master-file" not in item["_links"]
        assert "visibility" not in item


async def test_collections_create_validate_update(nav: Navigator) -> None:
    backend = await nav.backend()
    listing = await nav.follow(backend, "avalon:collections")
    names = [c["name"] for c in listing["_embedded"]["avalon:collection"]]
    assert names == sorted(names)
    create = nav.href(backend, "avalon:collections")
    body = {
        "name": "Oral histories",
        "unit": "Default Unit",
        "managers": ["archivist1@example.com"],
    }
    response, created = await nav.request("POST", create, json=body)
    assert response.status == 201
    assert created["name"] == "Oral histories"
    assert response.headers["Location"] == created["_links"]["self"]["href"]
    response, problem = await nav.request("POST", create, json=body)
    assert response.status == 400
    assert problem["upstream_status"] == 422
    response, problem = await nav.request(
        "POST", create, json={**body, "name": "X", "unit": "Mars"}
    )
    assert response.status == 400
    response, updated = await nav.request(
        "PUT", created["_links"]["self"]["href"], json={"admin_collection": {"description": "New"}}
    )
    assert response.status == 200
    assert updated["description"] == "New"


@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_vocabulary_entries_are_added(nav: Navigator, method: str) -> None:
    backend = await nav.backend()
    vocabularies = await nav.follow(backend, "avalon:vocabularies")
    units = await nav.follow(vocabularies, "avalon:vocabulary", "units")
    response, updated = await nav.request(
        method, units["_links"]["self"]["href"], json={"entry": f"Music Library {method}"}
    )
    assert response.status == 200
    assert f"Music Library {method}" in updated["entries"]
    response, problem = await nav.request(
        method, units["_links"]["self"]["href"], json={"entries": "x"}
    )
    assert response.status == 400
    assert '{"entry": ...}' in problem["detail"]


async def _first_media_object(nav: Navigator) -> Doc:
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects")
    item = next(
        i for i in page["_embedded"]["avalon:media-object"] if "avalon:master-file" in i["_links"]
    )
    return await nav.follow(item, "self")


@pytest.mark.parametrize("owner", ["media-object", "master-file"])
async def test_supplemental_file_multipart_round_trip(nav: Navigator, owner: str) -> None:
    media_object = await _first_media_object(nav)
    parent = (
        media_object
        if owner == "media-object"
        else media_object["_embedded"]["avalon:master-file"][0]
    )
    files_href = nav.href(parent, "avalon:supplemental-files")
    content = bytes(range(256)) * 40 + b"WEBVTT\n"
    form = aiohttp.FormData()
    form.add_field("file", content, filename="notes.pdf", content_type="application/pdf")
    form.add_field("metadata", json.dumps({"label": "Liner notes", "language": "English"}))
    response, created = await nav.request("POST", files_href, data=form)
    assert response.status == 201, created
    assert created["label"] == "Liner notes"
    assert response.headers["Location"] == created["_links"]["self"]["href"]

    response, downloaded = await nav.request("GET", nav.href(created, "avalon:content"))
    assert response.status == 200
    assert downloaded == content
    assert response.content_type == "application/pdf"

    listing = await nav.get(files_href)
    assert [f["id"] for f in listing["_embedded"]["avalon:supplemental-file"]] == [created["id"]]

    response, updated = await nav.request(
        "PUT", created["_links"]["self"]["href"], json={"label": "Booklet"}
    )
    assert response.status == 200
    assert updated["label"] == "Booklet"

    replacement = b"new bytes " * 100
    response, replaced = await nav.request(
        "PUT",
        nav.href(created, "avalon:content"),
        data=replacement,
        headers={
            "Content-Type": "text/plain",
            "Content-Disposition": 'attachment; filename="n.txt"',
        },
    )
    assert response.status == 200, replaced
    response, downloaded = await nav.request("GET", nav.href(created, "avalon:content"))
    assert downloaded == replacement

    response, _ = await nav.request("DELETE", created["_links"]["self"]["href"])
    assert response.status == 204
    response, _ = await nav.request("GET", created["_links"]["self"]["href"])
    assert response.status == 404


async def test_captions_must_be_vtt_or_srt(nav: Navigator) -> None:
    media_object = await _first_media_object(nav)
    form = aiohttp.FormData()
    form.add_field("file", b"not captions", filename="c.txt", content_type="text/plain")
    form.add_field("metadata", json.dumps({"label": "Captions", "type": "caption"}))
    response, problem = await nav.request(
        "POST", nav.href(media_object, "avalon:supplemental-files"), data=form
    )
    assert response.status == 400
    assert problem["upstream_status"] == 400
    assert problem["errors"]
    listing = await nav.get(nav.href(media_object, "avalon:supplemental-files"))
    assert (
        "avalon:supplemental-file" not in listing.get("_embedded", {})
        or not listing["_embedded"]["avalon:supplemental-file"]
    )


async def test_json_only_supplemental_file(nav: Navigator) -> None:
    media_object = await _first_media_object(nav)
    response, created = await nav.request(
        "POST",
        nav.href(media_object, "avalon:supplemental-files"),
        json={"label": "Transcript to come", "type": "transcript"},
    )
    assert response.status == 201, created
    assert created["label"] == "Transcript to come"


async def test_registry_lists_avalon_services(nav: Navigator) -> None:
    root = await nav.get(str(nav.client.make_url("/")))
    registry = await nav.follow(root, "registry:serviceroots")
    for rel in ("aa:assets", "aa:asset-by-id", "avalon:collections"):
        entries = registry["resources"][rel]
        systems = [s["systemID"] for e in entries for s in e["systems"]]
        assert "archive" in systems
    entries = registry["resources"]["aa:asset-by-id"]
    # The backend's own entry takes its native ids; the root's gw:asset the unified ones.
    own = next(e for e in entries if [s["systemID"] for s in e["systems"]] == ["archive"])
    assert own["templated"] is True
    media_object = await nav.get(hal.expand(own["href"], id="1g05fb83r"))
    assert media_object["id"] == "1g05fb83r"
    asset = await nav.get(hal.expand(root["_links"]["gw:asset"]["href"], id="archive:1g05fb83r"))
    assert (asset["title"], asset["type"]) == ("Lease Test", "video")


async def test_every_avalon_relation_is_documented(nav: Navigator) -> None:
    backend = await nav.backend()
    media_object = await _first_media_object(nav)
    collection = await nav.follow(media_object, "avalon:collection")
    _, created = await nav.request(
        "POST",
        nav.href(media_object, "avalon:supplemental-files"),
        json={"label": "Notes to come"},
    )
    rels = set(backend["_links"]) | set(media_object["_links"]) | set(collection["_links"])
    rels |= set(media_object["_embedded"]["avalon:master-file"][0]["_links"])
    rels |= set(created["_links"]) | set(media_object["_embedded"])
    rels |= {"avalon:supplemental-file"}  # the embedding rel of supplemental-file lists
    avalon = sorted(r for r in rels if r.startswith("avalon:"))
    assert {"avalon:items", "avalon:content", "avalon:supplemental-file"} <= set(avalon)
    curie = next(c for c in backend["_links"]["curies"] if c["name"] == "avalon")
    for rel in avalon:
        page = await nav.session.get(hal.expand(curie["href"], rel=rel.split(":")[1]))
        assert page.status == 200, rel


async def test_the_upstream_host_never_shows(nav: Navigator, simulator: AvalonSimulator) -> None:
    media_object = await _first_media_object(nav)
    await nav.follow(media_object, "avalon:collection")
    await nav.follow(media_object, "avalon:supplemental-files")
    backend = await nav.backend()
    await nav.request("GET", nav.href(backend, "avalon:media-object", id="missing"))
    await nav.request("POST", nav.href(backend, "avalon:media-objects"), json={"fields": {}})
    await nav.follow(backend, "avalon:media-objects", per_page=50)
    # Every host that appears in the upstream's data, the repository's included.
    hosts = {simulator.url.removeprefix("http://"), "127.0.0.1:8984", "fedora4"}
    for text in nav.seen:
        # Stream URLs lead to the media server, which the simulator also plays.
        without_streams = text
        for marker in ("/index.m3u8",):
            while marker in without_streams:
                cut = without_streams.index(marker)
                start = without_streams.rfind('"', 0, cut)
                without_streams = without_streams[:start] + without_streams[cut + len(marker) :]
        for host in hosts:
            assert host not in without_streams, host


async def test_uploads_over_the_limit_are_413_and_leave_nothing(
    simulator: AvalonSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(
        {"max_upload_bytes": 4096},
        backends={
            "archive": {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_ADMIN_KEY}
        },
    )
    nav = Navigator(await gateway(config), "archive")
    media_object = await _first_media_object(nav)
    files_href = nav.href(media_object, "avalon:supplemental-files")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1024

    for declared in (True, False):
        form = aiohttp.FormData()
        payload: Any = b"x" * 10240 if declared else chunks()
        form.add_field("file", payload, filename="big.txt", content_type="text/plain")
        response, problem = await nav.request("POST", files_href, data=form)
        assert response.status == 413, problem
        assert "4096" in problem["detail"]
    listing = await nav.get(files_href)
    assert not listing.get("_embedded", {}).get("avalon:supplemental-file")


async def test_a_deleted_object_is_404_while_avalon_says_410(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    slow_purge = AvalonSimulator(purge_delay_s=3600)
    await slow_purge.start()
    try:
        config = make_config(
            backends={
                "archive": {"kind": "avalon", "url": slow_purge.url, "api_key": DEFAULT_ADMIN_KEY}
            }
        )
        nav = Navigator(await gateway(config), "archive")
        media_object = await _first_media_object(nav)
        href = media_object["_links"]["self"]["href"]
        response, _ = await nav.request("DELETE", href)
        assert response.status == 202
        response, problem = await nav.request("GET", href)
        assert response.status == 404
        assert problem["upstream_status"] == 410
        assert problem["errors"] == [f"{media_object['id']} has been deleted"]
    finally:
        await slow_purge.close()


async def test_a_new_media_object_shows_no_repository_url(nav: Navigator) -> None:
    backend = await nav.backend()
    collections = await nav.follow(backend, "avalon:collections")
    collection_id = collections["_embedded"]["avalon:collection"][0]["id"]
    response, created = await nav.request(
        "POST",
        nav.href(backend, "avalon:media-objects"),
        json={"collection_id": collection_id, "fields": {"title": "New", "date_issued": "2020"}},
    )
    assert response.status == 201, created
    # Avalon lists the object's repository URL (an internal host) here: it is dropped.
    assert created["fields"]["record_identifier"] == []


def test_record_identifiers_keep_everything_but_urls() -> None:
    data = {
        "id": "x1",
        "fields": {
            "title": "T",
            "record_identifier": ["local-42", "http://fedora.internal:8984/rest/x1", "oclc:7"],
        },
    }
    doc = mapping.media_object(data, lambda path: "http://gw" + path).to_dict()
    assert doc["fields"]["record_identifier"] == ["local-42", "oclc:7"]
    assert doc["fields"]["title"] == "T"


async def test_a_master_file_of_another_media_object_is_404(nav: Navigator) -> None:
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects", per_page=50)
    owners = [
        i for i in page["_embedded"]["avalon:media-object"] if "avalon:master-file" in i["_links"]
    ]
    first, other = owners[0], next(o for o in owners if o["id"] != owners[0]["id"])
    master_file = first["_embedded"]["avalon:master-file"][0]
    files = hal.expand(nav.href(master_file, "avalon:supplemental-files"))
    foreign = files.replace(f"/media-objects/{first['id']}/", f"/media-objects/{other['id']}/")
    assert foreign != files
    await nav.get(files)
    problem = await nav.problem("GET", foreign, 404)
    assert master_file["id"] in problem["detail"]
    problem = await nav.problem("POST", foreign, 404, json={"label": "Misplaced"})
    assert (await nav.get(files)).get("_embedded", {}).get("avalon:supplemental-file") in (None, [])


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("multipart/form-data", id="no-boundary"),
        pytest.param("multipart/form-data; boundary=", id="empty-boundary"),
        pytest.param("multipart/form-data; boundary=" + "b" * 71, id="too-long"),
    ],
)
async def test_multipart_without_a_usable_boundary_is_400_before_upstream(
    nav: Navigator, content_type: str
) -> None:
    media_object = await _first_media_object(nav)
    files = nav.href(media_object, "avalon:supplemental-files")
    problem = await nav.problem(
        "POST", files, 400, data=b"--x\r\n\r\nbytes", headers={"Content-Type": content_type}
    )
    assert "boundary" in problem["detail"]
    assert "upstream_status" not in problem
    assert not (await nav.get(files)).get("_embedded", {}).get("avalon:supplemental-file")


async def test_a_multipart_body_that_does_not_parse_is_an_upstream_400(nav: Navigator) -> None:
    media_object = await _first_media_object(nav)
    files = nav.href(media_object, "avalon:supplemental-files")
    problem = await nav.problem(
        "POST",
        files,
        400,
        data=b"no parts here at all",
        headers={"Content-Type": "multipart/form-data; boundary=abc"},
    )
    assert problem["upstream_status"] == 400


async def test_a_bib_import_fails_as_400_with_avalons_messages(nav: Navigator) -> None:
    backend = await nav.backend()
    collections = await nav.follow(backend, "avalon:collections")
    collection_id = collections["_embedded"]["avalon:collection"][0]["id"]
    problem = await nav.problem(
        "POST",
        nav.href(backend, "avalon:media-objects"),
        400,
        json={
            "collection_id": collection_id,
            "import_bib_record": True,
            "fields": {"title": "From the catalog", "date_issued": "2020", "bibliographic_id": "1"},
        },
    )
    assert problem["upstream_status"] == 422
    assert problem["errors"][0] == "Bib import failed"


@pytest.mark.parametrize(
    ("faults", "status"),
    [
        pytest.param({"fail_status": 503}, 503, id="upstream-503"),
        pytest.param({"fail_status": 500}, 500, id="upstream-500"),
        pytest.param({"drop_connections": True}, 503, id="connection-dropped"),
        pytest.param({"latency_s": 1.0}, 408, id="too-slow"),
    ],
)
async def test_a_broken_avalon_is_a_problem_without_its_address(
    gateway: GatewayFactory, make_config: ConfigFactory, faults: dict[str, Any], status: int
) -> None:
    broken = AvalonSimulator(**faults)
    await broken.start()
    try:
        config = make_config(
            backends={
                "archive": {
                    "kind": "avalon",
                    "url": broken.url,
                    "api_key": DEFAULT_ADMIN_KEY,
                    "timeout_s": 0.2,
                    "retries": 0,
                }
            }
        )
        nav = Navigator(await gateway(config, wait_probed=False), "archive")
        backend = await nav.backend()
        for method, kwargs in (("GET", {}), ("POST", {"json": {"fields": {"title": "T"}}})):
            response, problem = await nav.request(
                method, nav.href(backend, "avalon:media-objects"), **kwargs
            )
            assert response.status == status
            assert response.content_type == PROBLEM
            assert problem["backend"] == "archive"
            assert problem["transient"] is (status == 408)
        assert not nav.leaks(broken.url)
    finally:
        await broken.close()


async def test_collection_items_page_through(nav: Navigator) -> None:
    backend = await nav.backend()
    collections = await nav.follow(backend, "avalon:collections")
    biggest = max(
        collections["_embedded"]["avalon:collection"], key=lambda c: c["object_count"]["total"]
    )
    first = await nav.follow(biggest, "avalon:items", per_page=2)
    items = await nav.pages(first, "avalon:media-object")
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == biggest["object_count"]["total"] > 2
    assert first["page"]["totalPages"] == -(-len(ids) // 2)


async def test_supplemental_files_page_through(nav: Navigator) -> None:
    media_object = await _first_media_object(nav)
    files_href = nav.href(media_object, "avalon:supplemental-files")
    created = []
    for n in range(3):
        response, doc = await nav.request(
            "POST", files_href, json={"label": f"Note {n}", "type": "transcript"}
        )
        assert response.status == 201
        created.append(doc["id"])
    first = await nav.get(nav.href(media_object, "avalon:supplemental-files", per_page=2))
    assert first["page"] == {"size": 2, "totalElements": 3, "totalPages": 2, "number": 1}
    listed = await nav.pages(first, "avalon:supplemental-file")
    assert [f["id"] for f in listed] == created


async def test_a_create_whose_read_back_fails_still_answers_201(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Any
) -> None:
    """Avalon created the object; telling the client otherwise would make it create twice."""
    seen: list[str] = []

    async def avalon(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.path}")
        if request.method == "POST":
            return web.json_response({"id": "new1"})
        return web.json_response({"errors": ["Solr is down"]}, status=503)

    fake = web.Application()
    fake.router.add_route("*", "/{tail:.*}", avalon)
    config = make_config(
        backends={
            "archive": {
                "kind": "avalon",
                "url": await upstream(fake),
                "api_key": DEFAULT_ADMIN_KEY,
                "retries": 0,
            }
        }
    )
    nav = Navigator(await gateway(config, wait_probed=False), "archive")
    backend = await nav.backend()
    body = {"collection_id": "c1", "fields": {"title": "T"}}
    response, created = await nav.request(
        "POST", nav.href(backend, "avalon:media-objects"), json=body
    )
    assert response.status == 201
    assert created["id"] == "new1"
    assert response.headers["Location"] == created["_links"]["self"]["href"]
    assert response.headers["Location"].endswith("/media-objects/new1")
    assert seen.count("POST /media_objects.json") == 1
