"""The Avalon simulator's supplemental files: create, download, update, list, errors."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from adapters.avalon.simulator import AvalonSimulator
from tests.support.avalon import (
    ADMIN,
    ANONYMOUS,
    VIEWER,
    Call,
    links,
)

pytestmark = pytest.mark.asyncio


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
