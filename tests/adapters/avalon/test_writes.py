"""Writing to Avalon through the gateway: media objects, collections, vocabularies."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from adapters.avalon import mapping
from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, AvalonSimulator
from tests.support.avalon import first_media_object as _first_media_object
from tests.support.avalon import gone_after_the_job
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import PROBLEM, Doc, Navigator


async def test_create_update_delete_round_trip(nav: Navigator, simulator: AvalonSimulator) -> None:
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
    gone = await gone_after_the_job(simulator, nav, updated["_links"]["self"]["href"])
    # Avalon's 410 for good (its tombstone); the client cannot tell it from "not found".
    assert (gone["status"], gone["upstream_status"]) == (404, 410)


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


async def test_a_bib_import_without_a_catalog_keeps_the_fields_sent(nav: Navigator) -> None:
    """Avalon imports only from a configured catalog and else takes the fields as sent
    (media_objects_controller.rb:181-202)."""
    backend = await nav.backend()
    collections = await nav.follow(backend, "avalon:collections")
    collection_id = collections["_embedded"]["avalon:collection"][0]["id"]
    response, created = await nav.request(
        "POST",
        nav.href(backend, "avalon:media-objects"),
        json={
            "collection_id": collection_id,
            "import_bib_record": True,
            "fields": {"title": "From the catalog", "date_issued": "2020", "bibliographic_id": "1"},
        },
    )
    assert response.status == 201, created
    assert created["title"] == "From the catalog"


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
