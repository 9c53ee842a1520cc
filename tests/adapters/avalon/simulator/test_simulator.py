"""The Avalon simulator over real sockets: auth, paging, media objects, collections,
vocabulary, supplemental files, faults and the command-line options."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, DEFAULT_USER_KEY, AvalonSimulator
from tests.support.fixtures import StartSimulator
from tests.support.replies import Reply, fetch

pytestmark = pytest.mark.asyncio

ADMIN = {"Avalon-Api-Key": DEFAULT_ADMIN_KEY}
VIEWER = {"Avalon-Api-Key": DEFAULT_USER_KEY}
UNKNOWN = {"Avalon-Api-Key": "f" * 128}
ANONYMOUS: dict[str, str] = {}
EDITOR_KEY = "e" * 128  # user editor@example.com, an editor of collection d791sg31t

SimFactory = Callable[..., Awaitable[AvalonSimulator]]


@pytest.fixture
def make_sim(start_simulator: StartSimulator[AvalonSimulator]) -> SimFactory:
    """Start simulators with the given options; all are closed afterwards."""

    async def make(**options: Any) -> AvalonSimulator:
        options.setdefault("purge_delay_s", 0.05)
        return await start_simulator(AvalonSimulator(**options))

    return make


@pytest_asyncio.fixture
async def sim(make_sim: SimFactory) -> AvalonSimulator:
    return await make_sim()


@pytest_asyncio.fixture
async def call(
    sim: AvalonSimulator, http: aiohttp.ClientSession
) -> Callable[..., Awaitable[Reply]]:
    """``await call(method, path, headers=ADMIN, **request_options)`` against ``sim``."""
    return lambda method, path, headers=ADMIN, **kw: send(http, sim, method, path, headers, **kw)


async def send(
    http: aiohttp.ClientSession,
    sim: AvalonSimulator,
    method: str,
    path: str,
    headers: dict[str, str],
    **kw: Any,
) -> Reply:
    return await fetch(http, method, sim.url + path, headers=headers, **kw)


Call = Callable[..., Awaitable[Reply]]


def links(reply: Reply) -> dict[str, str]:
    """The Link header as rel -> URL."""
    found = re.findall(r'<([^>]+)>; rel="([a-z]+)"', reply.headers.get("Link", ""))
    return {rel: url for url, rel in found}


def media_object_body(title: str | None = "New item", **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"date_issued": "2024"}
    if title is not None:
        fields["title"] = title
    return {"fields": fields, "collection_id": "d791sg31t", **extra}


def master_file_spec(label: str, **extra: Any) -> dict[str, Any]:
    derivative = {
        "label": "quality-high",
        "url": "rtmp://example.org/avalon/mp4:x",
        "hls_url": "https://example.org/x/index.m3u8",
        "duration": "1000",
        "mime_type": "video/mp4",
    }
    return {"label": label, "file_location": f"/dropbox/{label}.mp4", "duration": "1000"} | {
        "files": [derivative],
        **extra,
    }


# --- authentication ---------------------------------------------------------------


ENDPOINTS = [
    pytest.param("GET", "/media_objects.json", id="list-media-objects"),
    pytest.param("GET", "/media_objects/1g05fb83r.json", id="show-media-object"),
    pytest.param("GET", "/media_objects/unknown1.json", id="show-unknown-object"),
    pytest.param("POST", "/media_objects.json", id="create-media-object"),
    pytest.param("PUT", "/media_objects/1g05fb83r.json", id="update-media-object"),
    pytest.param("DELETE", "/media_objects/1g05fb83r", id="delete-media-object"),
    pytest.param("GET", "/admin/collections.json", id="list-collections"),
    pytest.param("GET", "/admin/collections/d791sg31t/items.json", id="collection-items"),
    pytest.param("POST", "/admin/collections.json", id="create-collection"),
    pytest.param("GET", "/vocabulary.json", id="vocabulary"),
    pytest.param("PUT", "/vocabulary/units.json", id="update-vocabulary"),
    pytest.param(
        "POST", "/master_files/1c18df984/supplemental_files.json", id="create-supplemental"
    ),
    pytest.param(
        "DELETE", "/master_files/ns064602j/supplemental_files/131.json", id="delete-supplemental"
    ),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_an_unknown_token_is_403_before_any_other_check(
    call: Call, method: str, path: str
) -> None:
    reply = await call(method, path, headers=UNKNOWN, json={})
    assert (reply.status, reply.json()) == (403, {"errors": ["Permission denied."]})


@pytest.mark.parametrize(
    ("method", "path"),
    [p for p in ENDPOINTS if p.id not in {"show-media-object", "show-unknown-object"}],
)
async def test_no_token_is_401_with_an_empty_body(call: Call, method: str, path: str) -> None:
    reply = await call(method, path, headers=ANONYMOUS, json={})
    assert (reply.status, reply.body) == (401, b"")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", "/vocabulary.json", None, id="vocabulary"),
        pytest.param("PUT", "/vocabulary/units.json", {"entry": "X"}, id="update-vocabulary"),
        pytest.param("GET", "/media_objects/1g05fb83r.json", None, id="private-object"),
        pytest.param("PUT", "/media_objects/gt54kn04s.json", {}, id="update-readable-object"),
        pytest.param("DELETE", "/media_objects/gt54kn04s", None, id="delete-readable-object"),
        pytest.param("POST", "/media_objects.json", media_object_body(), id="create-object"),
        pytest.param("GET", "/admin/collections/d791sg31t.json", None, id="collection"),
        pytest.param("POST", "/admin/collections.json", {}, id="create-collection"),
        pytest.param(
            "GET", "/master_files/1c18df984/supplemental_files.json", None, id="private-files"
        ),
    ],
)
async def test_a_user_without_the_right_gets_401_with_an_empty_body(
    call: Call, method: str, path: str, body: Any
) -> None:
    reply = await call(method, path, headers=VIEWER, json=body)
    assert (reply.status, reply.body) == (401, b"")


@pytest.mark.parametrize(
    ("headers", "object_id", "status"),
    [
        pytest.param(ANONYMOUS, "gt54kn04s", 200, id="anonymous-public"),
        pytest.param(ANONYMOUS, "hq37vn59b", 401, id="anonymous-restricted"),
        pytest.param(VIEWER, "hq37vn59b", 200, id="viewer-restricted"),
        pytest.param(VIEWER, "mk61rh07c", 401, id="viewer-unpublished"),
    ],
)
async def test_published_objects_are_readable_by_visibility(
    call: Call, headers: dict[str, str], object_id: str, status: int
) -> None:
    assert (await call("GET", f"/media_objects/{object_id}.json", headers=headers)).status == status


async def test_non_editors_do_not_get_files_visibility_or_read_groups(call: Call) -> None:
    as_viewer = (await call("GET", "/media_objects/gt54kn04s.json", headers=VIEWER)).json()
    as_admin = (await call("GET", "/media_objects/gt54kn04s.json")).json()
    hidden = {"files", "visibility", "read_groups"}
    assert hidden <= as_admin.keys()
    assert as_admin.keys() - as_viewer.keys() == hidden
    listed = (await call("GET", "/media_objects.json", headers=VIEWER)).json()
    assert [mo["id"] for mo in listed] == ["gt54kn04s", "hq37vn59b"]
    assert all(not hidden & mo.keys() for mo in listed)


async def test_keys_are_configured_per_user(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(api_keys={EDITOR_KEY: "editor@example.com"}, admins=())
    editor = {"Avalon-Api-Key": EDITOR_KEY}
    changed = await send(http, sim, "PUT", "/media_objects/mk61rh07c.json", editor, json={})
    other = await send(http, sim, "PUT", "/media_objects/1g05fb83r.json", editor, json={})
    demo = await send(http, sim, "GET", "/media_objects.json", ADMIN)
    assert (changed.status, other.status, demo.status) == (200, 401, 403)


# --- paging ---------------------------------------------------------------------------


async def test_the_documented_page_has_total_per_page_and_absolute_links(
    sim: AvalonSimulator, call: Call
) -> None:
    reply = await call("GET", "/media_objects.json?per_page=1&page=3")
    assert [mo["id"] for mo in reply.json()] == ["vd66w000m"]
    assert (reply.headers["Total"], reply.headers["Per-Page"]) == ("11", "1")
    assert links(reply) == {
        rel: f"{sim.url}/media_objects.json?per_page=1&page={page}"
        for rel, page in (("first", 1), ("prev", 2), ("last", 11), ("next", 4))
    }
    assert not [h for h in reply.headers if "page" in h.lower() and h != "Per-Page"]


@pytest.mark.parametrize(
    ("query", "count", "rels"),
    [
        pytest.param("", 11, set(), id="defaults-one-page"),
        pytest.param("?per_page=4", 4, {"last", "next"}, id="first-page"),
        pytest.param("?per_page=4&page=2", 4, {"first", "prev", "last", "next"}, id="middle"),
        pytest.param("?per_page=4&page=3", 3, {"first", "prev"}, id="last-page"),
        pytest.param("?per_page=4&page=0", 4, {"last", "next"}, id="page-zero-is-one"),
        pytest.param("?per_page=4&page=-3", 4, {"last", "next"}, id="negative-page-is-one"),
        pytest.param("?per_page=4&page=9", 0, {"first", "prev"}, id="past-the-end"),
        pytest.param("?per_page=1000", 11, set(), id="no-maximum"),
    ],
)
async def test_paging_of_media_objects(call: Call, query: str, count: int, rels: set[str]) -> None:
    reply = await call("GET", "/media_objects.json" + query)
    assert len(reply.json()) == count
    assert reply.headers["Total"] == "11"
    assert set(links(reply)) == rels
    assert ("Link" in reply.headers) == bool(rels)


async def test_per_page_defaults_to_25(call: Call) -> None:
    assert (await call("GET", "/media_objects.json")).headers["Per-Page"] == "25"


# --- media objects ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/media_objects/1g05fb83r.json", "/media_objects/1g05fb83r"])
async def test_show_has_the_documented_shape(sim: AvalonSimulator, call: Call, path: str) -> None:
    mo = (await call("GET", path)).json()
    assert (mo["title"], mo["collection"], mo["collection_id"]) == (
        "Lease Test",
        "7.0 testing",
        "p8418n203",
    )
    assert {"unit", "lending_period", "lending_status", "fields"} <= mo.keys()
    master = mo["files"][0]
    assert master["id"] == "1c18df984"
    assert master["structure"] is None
    assert [d["label"] for d in master["files"]] == [
        "quality-medium",
        "quality-high",
        "quality-low",
    ]
    assert master["files"][0]["hls_url"].startswith(sim.url + "/avalon/")


@pytest.mark.parametrize(
    ("value", "inlined"),
    [
        pytest.param("true", True, id="true"),
        pytest.param("1", False, id="one"),
        pytest.param("TRUE", False, id="upper-case"),
    ],
)
async def test_include_structure_must_be_exactly_true(
    call: Call, value: str, inlined: bool
) -> None:
    mo = (await call("GET", f"/media_objects/1g05fb83r.json?include_structure={value}")).json()
    structure = mo["files"][0]["structure"]
    assert (structure is not None and structure.startswith("<?xml")) == inlined


async def test_hls_url_serves_a_playlist(http: aiohttp.ClientSession, call: Call) -> None:
    mo = (await call("GET", "/media_objects/vd66w000m.json")).json()
    async with http.get(mo["files"][0]["files"][0]["hls_url"]) as resp:
        assert resp.status == 200
        assert (await resp.text()).startswith("#EXTM3U")
    assert (await call("GET", "/avalon/unknown/index.m3u8")).status == 404


async def test_an_unknown_media_object_is_404(call: Call) -> None:
    reply = await call("GET", "/media_objects/nope12345.json")
    assert (reply.status, reply.json()) == (404, {"errors": ["nope12345 not found"]})


async def test_create_answers_200_and_publishes_with_files(call: Call) -> None:
    body = media_object_body(files=[master_file_spec("part1")], publish=True)
    reply = await call("POST", "/media_objects.json", json=body)
    assert reply.status == 200
    new_id = reply.json()["id"]
    mo = (await call("GET", f"/media_objects/{new_id}.json")).json()
    assert (mo["title"], mo["collection"], mo["unit"]) == (
        "New item",
        "2882 mallorn",
        "Indiana University Libraries",
    )
    assert (mo["published"], mo["published_by"]) == (True, "REST API")
    assert mo["fields"]["avalon_uploader"] == "REST API"
    assert [f["label"] for f in mo["files"]] == ["part1"]
    assert mo["files"][0]["files"][0]["hls_url"] == "https://example.org/x/index.m3u8"


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        pytest.param(
            media_object_body(title=None),
            ["Failed to create media object:", "Title can't be blank"],
            id="no-title",
        ),
        pytest.param(
            {"fields": {"title": "x"}},
            ["Failed to create media object:", "Collection can't be blank"],
            id="no-collection",
        ),
        pytest.param(
            {},
            ["Failed to create media object:", "Title can't be blank", "Collection can't be blank"],
            id="empty",
        ),
        pytest.param(
            media_object_body(collection_id="zz999zz99"),
            ["Collection not found for zz999zz99"],
            id="unknown-collection",
        ),
    ],
)
async def test_create_validation_is_422(call: Call, body: Any, messages: list[str]) -> None:
    before = (await call("GET", "/media_objects.json")).headers["Total"]
    reply = await call("POST", "/media_objects.json", json=body)
    assert (reply.status, reply.json()) == (422, {"errors": messages})
    assert (await call("GET", "/media_objects.json")).headers["Total"] == before


async def test_update_appends_or_replaces_master_files_and_sets_publishing(call: Call) -> None:
    path = "/media_objects/1g05fb83r.json"
    captions = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nHi"
    spec = master_file_spec("extra", captions=captions, captions_type="text/vtt")
    appended = await call("PUT", path, json={"files": [spec], "publish": True})
    assert (appended.status, appended.json()) == (200, {"id": "1g05fb83r"})
    mo = (await call("GET", path)).json()
    assert [f["label"] for f in mo["files"]] == ["", "extra"]
    assert (mo["files"][1]["captions"], mo["files"][1]["captions_type"]) == (captions, "text/vtt")
    assert mo["published"] is True

    renamed = {"fields": {"title": "Renamed"}, "files": [master_file_spec("only")]}
    await call("PUT", path, json=renamed | {"replace_masterfiles": True})
    mo = (await call("GET", path)).json()
    assert mo["title"] == "Renamed"
    assert [f["label"] for f in mo["files"]] == ["only"]
    assert mo["published"] is False  # files sent without publish unpublish
    assert (await call("GET", "/master_files/1c18df984/supplemental_files.json")).status == 404


async def test_update_without_files_keeps_the_published_state(call: Call) -> None:
    await call("PUT", "/media_objects/gt54kn04s.json", json={"fields": {"abstract": "About"}})
    mo = (await call("GET", "/media_objects/gt54kn04s.json")).json()
    assert (mo["published"], mo["summary"]) == (True, "About")


@pytest.mark.parametrize(
    ("path", "body", "status", "errors"),
    [
        pytest.param(
            "/media_objects/nope12345.json", {}, 404, ["nope12345 not found"], id="unknown"
        ),
        pytest.param(
            "/media_objects/1g05fb83r.json",
            {"fields": {"title": ""}},
            422,
            ["Failed to create media object:", "Title can't be blank"],
            id="blank-title",
        ),
        pytest.param(
            "/media_objects/1g05fb83r.json",
            {"collection_id": "zz999zz99"},
            422,
            ["Collection not found for zz999zz99"],
            id="unknown-collection",
        ),
    ],
)
async def test_update_errors(
    call: Call, path: str, body: Any, status: int, errors: list[str]
) -> None:
    reply = await call("PUT", path, json=body)
    assert (reply.status, reply.json()) == (status, {"errors": errors})
    assert (await call("GET", "/media_objects/1g05fb83r.json")).json()["title"] == "Lease Test"


async def test_delete_redirects_then_410_then_404_after_the_purge(
    sim: AvalonSimulator, call: Call
) -> None:
    reply = await call("DELETE", "/media_objects/mk61rh07c")
    assert reply.status == 302
    assert reply.headers["Location"] == f"{sim.url}/media_objects"
    gone = await call("GET", "/media_objects/mk61rh07c.json")
    assert (gone.status, gone.json()) == (410, {"errors": ["mk61rh07c has been deleted"]})
    listed = (await call("GET", "/media_objects.json")).json()
    assert "mk61rh07c" not in [mo["id"] for mo in listed]
    for _ in range(100):
        status = (await call("GET", "/media_objects/mk61rh07c.json")).status
        if status != 410:
            break
        await asyncio.sleep(0.02)
    assert status == 404
    assert (await call("GET", "/master_files/tq57nr13n/supplemental_files.json")).status == 404


async def test_delete_of_an_unknown_object_is_404(call: Call) -> None:
    reply = await call("DELETE", "/media_objects/nope12345.json")
    assert (reply.status, reply.json()) == (404, {"errors": ["nope12345 not found"]})


async def test_closing_cancels_pending_purges(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(purge_delay_s=60)
    assert (await send(http, sim, "DELETE", "/media_objects/mk61rh07c", ADMIN)).status == 302

    def purges() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if "_purge_later" in repr(t.get_coro())]

    assert len(purges()) == 1
    # Bounded: closing must cancel the purge, not wait out its delay.
    await asyncio.wait_for(sim.close(), timeout=5)
    assert purges() == []


async def test_simulators_do_not_share_state(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    first, second = await make_sim(), await make_sim()
    await send(http, first, "DELETE", "/media_objects/sx61dm430", ADMIN)
    assert (await send(http, second, "GET", "/media_objects/sx61dm430", ADMIN)).status == 200


# --- collections ----------------------------------------------------------------------


async def test_collections_are_sorted_by_name_and_paginated(call: Call) -> None:
    reply = await call("GET", "/admin/collections.json")
    names = [c["name"] for c in reply.json()]
    assert names == ["100 sec test", "2882 mallorn", "7.0 testing", "Krishna_Ptest"]
    second = await call("GET", "/admin/collections.json?per_page=3&page=2")
    assert [c["name"] for c in second.json()] == ["Krishna_Ptest"]
    assert (second.headers["Total"], set(links(second))) == ("4", {"first", "prev"})


async def test_show_collection_counts_and_roles(call: Call) -> None:
    collection = (await call("GET", "/admin/collections/d791sg31t.json")).json()
    assert collection["object_count"] == {"total": 5, "published": 0, "unpublished": 5}
    assert collection["roles"]["editors"] == ["editor@example.com"]
    missing = await call("GET", "/admin/collections/nope12345.json")
    assert (missing.status, missing.json()) == (404, {"errors": ["nope12345 not found"]})


async def test_items_are_an_object_keyed_by_id(call: Call) -> None:
    reply = await call("GET", "/admin/collections/d791sg31t/items.json?per_page=2&page=2")
    items = reply.json()
    assert list(items) == ["mk61rh07c", "sx61dm430"]
    assert items["sx61dm430"]["title"] == "Luna r642"
    assert (reply.headers["Total"], set(links(reply))) == ("5", {"first", "prev", "last", "next"})


async def test_a_user_sees_only_collections_with_a_role(call: Call) -> None:
    reply = await call("GET", "/admin/collections.json", headers=VIEWER)
    assert (reply.status, reply.json(), reply.headers["Total"]) == (200, [], "0")


async def test_create_collection_then_show_it(call: Call) -> None:
    body = {"admin_collection": {"name": "New Collection", "unit": "Default Unit"}}
    reply = await call("POST", "/admin/collections.json", json=body)
    assert reply.status == 200
    created = (await call("GET", f"/admin/collections/{reply.json()['id']}.json")).json()
    assert (created["name"], created["unit"]) == ("New Collection", "Default Unit")
    assert created["roles"]["managers"] == ["archivist"]


@pytest.mark.parametrize(
    ("params", "messages"),
    [
        pytest.param(
            {"name": "2882  Mallorn", "unit": "Default Unit"},
            ["Name has already been taken"],
            id="taken",
        ),
        pytest.param(
            {"name": "Fresh", "unit": "Nowhere"},
            ["Unit is not included in the list"],
            id="bad-unit",
        ),
        pytest.param({"unit": "Default Unit"}, ["Name can't be blank"], id="no-name"),
        pytest.param({"name": "Fresh"}, ["Unit can't be blank"], id="no-unit"),
        pytest.param(
            {"name": "Fresh", "unit": "Default Unit", "contact_email": "nobody"},
            ["Contact email is invalid"],
            id="bad-email",
        ),
    ],
)
async def test_create_collection_validation(
    call: Call, params: dict[str, str], messages: list[str]
) -> None:
    reply = await call("POST", "/admin/collections.json", json={"admin_collection": params})
    assert (reply.status, reply.json()) == (
        422,
        {"errors": ["Failed to create collection:", *messages]},
    )


async def test_update_collection(call: Call) -> None:
    path = "/admin/collections/1r66j1149.json"
    renamed = await call("PUT", path, json={"admin_collection": {"name": "Not So New"}})
    assert (renamed.status, renamed.json()) == (200, {"id": "1r66j1149"})
    assert (await call("GET", path)).json()["name"] == "Not So New"
    clash = await call("PUT", path, json={"admin_collection": {"name": "Krishna_Ptest"}})
    assert (clash.status, clash.json()) == (
        422,
        {"errors": ["Failed to update collection:", "Name has already been taken"]},
    )
    assert (await call("PUT", "/admin/collections/nope12345.json", json={})).status == 404


# --- vocabulary ---------------------------------------------------------------------


async def test_vocabulary_list_and_show(call: Call) -> None:
    everything = (await call("GET", "/vocabulary.json")).json()
    assert {"units", "identifier_types", "note_types", "rights_statements"} <= everything.keys()
    units = await call("GET", "/vocabulary/units.json")
    assert units.json() == ["Indiana University Libraries", "Default Unit"]


@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_vocabulary_update_adds_a_unit_a_collection_can_then_use(
    call: Call, method: str
) -> None:
    reply = await call(method, "/vocabulary/units.json", json={"entry": "IU Art Museum"})
    assert (reply.status, reply.body) == (200, b"")
    assert "IU Art Museum" in (await call("GET", "/vocabulary/units.json")).json()
    body = {"admin_collection": {"name": "Art", "unit": "IU Art Museum"}}
    assert (await call("POST", "/admin/collections.json", json=body)).status == 200


async def test_hash_vocabularies_take_an_object(call: Call) -> None:
    entry = {"isrc": "ISRC"}
    assert (
        await call("PUT", "/vocabulary/identifier_types.json", json={"entry": entry})
    ).status == 200
    assert (await call("GET", "/vocabulary/identifier_types.json")).json()["isrc"] == "ISRC"


@pytest.mark.parametrize(
    ("name", "body", "status", "messages"),
    [
        pytest.param("units", {}, 422, ["No update value sent"], id="missing-entry"),
        pytest.param("units", {"entry": " "}, 422, ["No update value sent"], id="blank-entry"),
        pytest.param("units", {"entry": {"a": "b"}}, 422, ["Update failed"], id="object-for-array"),
        pytest.param("note_types", {"entry": "x"}, 422, ["Update failed"], id="string-for-hash"),
        pytest.param("nope", {"entry": "x"}, 404, ["Vocabulary not found for nope"], id="unknown"),
    ],
)
async def test_vocabulary_update_errors(
    call: Call, name: str, body: Any, status: int, messages: list[str]
) -> None:
    reply = await call("PUT", f"/vocabulary/{name}.json", json=body)
    assert (reply.status, reply.json()) == (status, {"errors": messages})


async def test_vocabulary_post_can_be_turned_off(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(vocabulary_post=False)
    body = {"entry": "Elsewhere"}
    posted = await send(http, sim, "POST", "/vocabulary/units.json", ADMIN, json=body)
    put = await send(http, sim, "PUT", "/vocabulary/units.json", ADMIN, json=body)
    assert (posted.status, put.status) == (404, 200)


# --- supplemental files ---------------------------------------------------------------


def upload(data: bytes, filename: str, content_type: str, metadata: Any = None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type=content_type)
    if metadata is not None:
        form.add_field("metadata", json.dumps(metadata))
    return form


VTT = b"WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nHello\n"
FILES = "/master_files/1c18df984/supplemental_files"


async def test_supplemental_file_multipart_round_trip(call: Call) -> None:
    meta = {
        "label": "English captions",
        "language": "English",
        "type": "caption",
        "machine_generated": True,
    }
    created = await call("POST", f"{FILES}.json", data=upload(VTT, "en.vtt", "text/vtt", meta))
    assert created.status == 201
    sf_id = created.json()["id"]
    assert isinstance(sf_id, int)
    shown = (await call("GET", f"{FILES}/{sf_id}.json")).json()
    assert shown == {
        "id": sf_id,
        "type": "caption",
        "label": "English captions",
        "language": "English",
        "treat_as_transcript": False,
        "machine_generated": True,
    }
    download = await call("GET", f"{FILES}/{sf_id}")
    assert (download.status, download.body) == (200, VTT)
    assert download.headers["Content-Type"] == "text/vtt"
    assert [sf["id"] for sf in (await call("GET", f"{FILES}.json")).json()] == [sf_id]
    deleted = await call("DELETE", f"{FILES}/{sf_id}.json")
    assert (deleted.status, deleted.body) == (204, b"")
    missing = await call("GET", f"{FILES}/{sf_id}.json")
    assert (missing.status, missing.json()) == (
        404,
        {"errors": f"Supplemental file: {sf_id} not found"},
    )


async def test_json_only_create_defaults_language_to_english(call: Call) -> None:
    meta = {"label": "Notes", "type": "transcript", "treat_as_transcript": True}
    created = await call("POST", f"{FILES}.json", json=meta)
    assert created.status == 201
    shown = (await call("GET", f"{FILES}/{created.json()['id']}.json")).json()
    assert (shown["type"], shown["language"], shown["treat_as_transcript"]) == (
        "transcript",
        "English",
        False,  # treat_as_transcript only counts for captions
    )


@pytest.mark.parametrize(
    ("kw", "status", "message"),
    [
        pytest.param({"json": {}}, 400, "Missing required parameters", id="no-parameters"),
        pytest.param(
            {"json": {"type": "other"}}, 400, "Missing required parameters", id="generic-type-only"
        ),
        pytest.param(
            {"data": {"label": "x"}}, 400, "Missing required Content-type headers", id="form-body"
        ),
        pytest.param(
            {"data": upload(b"plain", "notes.txt", "text/plain", {"type": "caption"})},
            400,
            "Uploaded file is not a recognized captions file (text/vtt or text/srt)",
            id="caption-not-vtt",
        ),
        pytest.param(
            {"json": {"label": "x", "type": "caption"}},
            400,
            "Uploaded file is not a recognized captions file (text/vtt or text/srt)",
            id="caption-without-file",
        ),
        pytest.param(
            {"json": {"label": "x", "language": "Klingon"}},
            500,
            "An error occurred when saving the supplemental file: "
            "Language Klingon is not included in the list",
            id="unknown-language",
        ),
    ],
)
async def test_supplemental_file_create_errors_are_one_string(
    call: Call, kw: dict[str, Any], status: int, message: str
) -> None:
    reply = await call("POST", f"{FILES}.json", **kw)
    assert (reply.status, reply.json()) == (status, {"errors": message})
    assert (await call("GET", f"{FILES}.json")).json() == []


async def test_srt_captions_are_accepted_whatever_the_declared_type(call: Call) -> None:
    srt = b"1\n00:00:00,000 --> 00:00:01,000\nHello\n"
    form = upload(srt, "en.srt", "application/octet-stream", {"type": "caption"})
    created = await call("POST", f"{FILES}.json", data=form)
    assert created.status == 201
    download = await call("GET", f"{FILES}/{created.json()['id']}")
    assert (download.headers["Content-Type"], download.body) == ("text/srt", srt)


async def test_metadata_update_replaces_fields_left_out_except_language(call: Call) -> None:
    path = "/master_files/ns064602j/supplemental_files/131.json"
    reply = await call("PUT", path, json={"label": "Renamed.vtt", "type": "caption"})
    assert (reply.status, reply.json()) == (200, {"id": 131})
    shown = (await call("GET", path)).json()
    assert shown == {
        "id": 131,
        "type": "caption",
        "label": "Renamed.vtt",
        "language": "English",
        "treat_as_transcript": False,
        "machine_generated": False,
    }


async def test_binary_replace_needs_a_file_and_accept_json(call: Call) -> None:
    path = "/master_files/ns064602j/supplemental_files/141"
    new = b"WEBVTT\n\nreplaced\n"
    no_accept = await call("PUT", path, data=upload(new, "t.vtt", "text/vtt"))
    assert (no_accept.status, no_accept.json()) == (
        400,
        {"errors": "Missing required Accept headers"},
    )
    no_file = await call(
        "PUT", path, headers=ADMIN | {"Accept": "application/json"}, data={"a": "b"}
    )
    assert (no_file.status, no_file.json()) == (
        400,
        {"errors": "Incorrect request format. Use JSON if updating metadata."},
    )
    replaced = await call(
        "PUT",
        path,
        headers=ADMIN | {"Accept": "application/json"},
        data=upload(new, "t.vtt", "text/vtt"),
    )
    assert (replaced.status, replaced.json()) == (200, {"id": 141})
    assert (await call("GET", path)).body == new
    assert (await call("GET", f"{path}.json")).json()["label"] == "Labelforit.vtt"


async def test_supplemental_file_list_is_paginated(sim: AvalonSimulator, call: Call) -> None:
    path = "/master_files/ns064602j/supplemental_files.json"
    reply = await call("GET", f"{path}?per_page=1&page=2")
    assert [sf["id"] for sf in reply.json()] == [141]
    assert (reply.headers["Total"], reply.headers["Per-Page"]) == ("2", "1")
    assert links(reply) == {
        "first": f"{sim.url}{path}?per_page=1&page=1",
        "prev": f"{sim.url}{path}?per_page=1&page=1",
    }


async def test_media_object_supplemental_files_follow_read_access(call: Call) -> None:
    download = await call(
        "GET", "/media_objects/gt54kn04s/supplemental_files/151", headers=ANONYMOUS
    )
    assert (download.status, download.headers["Content-Type"]) == (200, "text/plain")
    assert download.body.startswith(b"Program notes")
    denied = await call(
        "DELETE", "/media_objects/gt54kn04s/supplemental_files/151.json", headers=VIEWER
    )
    assert (denied.status, denied.body) == (401, b"")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param(
            "/master_files/nope12345/supplemental_files.json",
            "nope12345 not found",
            id="master-file",
        ),
        pytest.param(
            "/media_objects/nope12345/supplemental_files.json",
            "nope12345 not found",
            id="media-object",
        ),
        pytest.param(f"{FILES}/999.json", "Supplemental file: 999 not found", id="file"),
        pytest.param(
            "/master_files/1c18df984/supplemental_files/131.json",
            "Supplemental file: 131 not found",
            id="file-of-another-parent",
        ),
    ],
)
async def test_supplemental_not_found_is_404_with_a_string(
    call: Call, path: str, message: str
) -> None:
    reply = await call("GET", path)
    assert (reply.status, reply.json()) == (404, {"errors": message})


# --- faults ---------------------------------------------------------------------------


async def test_latency_delays_answers(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    sim = await make_sim(latency_s=0.2)
    started = time.monotonic()
    reply = await send(http, sim, "GET", "/vocabulary.json", ADMIN)
    assert reply.status == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(503, b'{"errors": ["simulated failure 503"]}', id="503"),
        pytest.param(500, b'{"errors": ["simulated failure 500"]}', id="500"),
        pytest.param(401, b"", id="401-empty"),
    ],
)
async def test_fail_status_answers_like_avalon(
    make_sim: SimFactory, http: aiohttp.ClientSession, status: int, body: bytes
) -> None:
    sim = await make_sim(fail_status=status)
    reply = await send(http, sim, "GET", "/media_objects.json", ADMIN)
    assert (reply.status, reply.body) == (status, body)


async def test_dropped_connections(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    sim = await make_sim(drop_connections=True)
    with pytest.raises(aiohttp.ClientError):
        await send(http, sim, "GET", "/media_objects.json", ADMIN)


# --- command line ---------------------------------------------------------------------


async def test_arguments_configure_keys_and_latency() -> None:
    parser = argparse.ArgumentParser()
    AvalonSimulator.add_arguments(parser)
    args = parser.parse_args(["--api-key", "abc", "--api-key", "def=viewer", "--latency", "0.5"])
    sim = AvalonSimulator.from_arguments(args)
    assert sim.config.api_keys == {"abc": "archivist", "def": "viewer"}
    assert sim.latency_s == 0.5
    defaults = AvalonSimulator.from_arguments(parser.parse_args([]))
    assert defaults.config.api_keys == {DEFAULT_ADMIN_KEY: "archivist", DEFAULT_USER_KEY: "viewer"}
    assert defaults.latency_s == 0.0
