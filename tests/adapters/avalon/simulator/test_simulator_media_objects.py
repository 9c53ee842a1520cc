"""The Avalon simulator's media objects: paging, show, create, update and delete."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from adapters.avalon.simulator import AvalonSimulator
from tests.support.avalon import (
    VIEWER,
    Call,
    links,
    media_object_body,
)

pytestmark = pytest.mark.asyncio


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


async def test_fields_are_as_the_api_renders_them(call: Call) -> None:
    """media_object_intercom.rb: ``avalon_publisher`` is null unless asked for with
    ``publish:``, which as_json never does (:23); ``series`` sits after
    physical_description (:48). master_file_intercom.rb adds original_filename (:29) and
    supplemental_file_captions (:40)."""
    mo = (await call("GET", "/media_objects/gt54kn04s.json")).json()
    assert (mo["published_by"], mo["fields"]["avalon_publisher"]) == (
        "archivist1@example.com",
        None,
    )
    keys = list(mo["fields"])
    assert keys[keys.index("physical_description") + 1] == "series"
    popeye = (await call("GET", "/media_objects/vd66w000m.json")).json()
    master = next(f for f in popeye["files"] if f["id"] == "ns064602j")
    assert master["original_filename"] == master["file_location"].rpartition("/")[2]
    assert [c["id"] for c in master["supplemental_file_captions"]] == [131]


async def test_bib_import_without_a_catalog_takes_the_fields_as_sent(call: Call) -> None:
    """MOC:181-202: no configured catalog, no import, no error."""
    body = media_object_body("From the catalog", import_bib_record=True)
    reply = await call("POST", "/media_objects.json", json=body)
    assert reply.status == 200
    mo = (await call("GET", f"/media_objects/{reply.json()['id']}.json")).json()
    assert mo["title"] == "From the catalog"


async def test_master_files_without_derivatives_are_attached(call: Call) -> None:
    """MOC:234-255: the master file is attached first; only its derivatives need files."""
    spec = {"label": "raw", "file_location": "/dropbox/raw.mp4"}
    reply = await call("POST", "/media_objects.json", json=media_object_body(files=[spec]))
    mo = (await call("GET", f"/media_objects/{reply.json()['id']}.json")).json()
    assert [(f["label"], f["files"]) for f in mo["files"]] == [("raw", [])]


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
            # In the order media_object.rb declares its validations (lines 79, 82).
            ["Failed to create media object:", "Collection can't be blank", "Title can't be blank"],
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
    # The replaced master file is destroyed: Fedora's tombstone answers 410.
    gone = await call("GET", "/master_files/1c18df984/supplemental_files.json")
    assert (gone.status, gone.json()) == (410, {"errors": [" has been deleted"]})


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


async def test_delete_redirects_to_root_and_the_job_leaves_a_tombstone(
    sim: AvalonSimulator, call: Call
) -> None:
    """MOC:393-410: 302 to root_path, empty body; BulkActionJobs::Delete later destroys the
    object (bulk_action_jobs.rb:131-149), leaving Fedora's tombstone: 410 for good."""
    reply = await call("DELETE", "/media_objects/mk61rh07c.json")
    assert (reply.status, reply.headers["Location"], reply.body) == (302, f"{sim.url}/", b"")
    # Until the job runs, nothing has changed.
    assert (await call("GET", "/media_objects/mk61rh07c.json")).status == 200
    await sim.purge_now()
    assert (await call("GET", "/media_objects/mk61rh07c.json")).status == 410
    gone = await call("GET", "/media_objects/mk61rh07c.json")
    assert gone.json() == {"errors": ["mk61rh07c has been deleted"]}
    listed = (await call("GET", "/media_objects.json")).json()
    assert "mk61rh07c" not in [mo["id"] for mo in listed]
    assert (await call("GET", "/master_files/tq57nr13n/supplemental_files.json")).status == 410


async def test_a_delete_the_key_may_not_perform_also_redirects_and_changes_nothing(
    sim: AvalonSimulator, call: Call
) -> None:
    """No authorize! in destroy: the refusal goes to a flash message, the answer is the
    same 302 (spec/controllers/media_objects_controller_spec.rb:94-96)."""
    reply = await call("DELETE", "/media_objects/gt54kn04s.json", headers=VIEWER)
    assert (reply.status, reply.headers["Location"], reply.body) == (302, f"{sim.url}/", b"")
    await sim.purge_now()  # every job queued has run
    assert (await call("GET", "/media_objects/gt54kn04s.json")).status == 200


async def test_delete_of_an_unknown_object_is_404(call: Call) -> None:
    reply = await call("DELETE", "/media_objects/nope12345.json")
    assert (reply.status, reply.json()) == (404, {"errors": ["nope12345 not found"]})
