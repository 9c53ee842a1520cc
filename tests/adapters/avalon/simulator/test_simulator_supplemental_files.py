"""The Avalon simulator's supplemental files: create, update, list, and their errors.

"SFC" is ``app/controllers/supplemental_files_controller.rb`` of avalonmediasystem/avalon.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from adapters.avalon.simulator import AvalonSimulator
from adapters.avalon.simulator.ruby import SFC
from tests.support.avalon import (
    ADMIN,
    VIEWER,
    Call,
    follow,
    full_message_lines,
    links,
)

pytestmark = pytest.mark.asyncio


def upload(data: bytes, filename: str, content_type: str, metadata: Any = None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type=content_type)
    if metadata is not None:
        form.add_field("metadata", json.dumps(metadata))
    return form


def _bad_metadata() -> aiohttp.FormData:
    form = upload(VTT, "en.vtt", "text/vtt")
    form.add_field("metadata", "{not json")
    return form


VTT = b"WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nHello\n"
FILES = "/master_files/1c18df984/supplemental_files"
INTERNAL = {"status": 500, "error": "Internal Server Error"}
NOT_A_CAPTION = (
    "An error occurred when saving the supplemental file: "
    '["File type Uploaded file is not a recognized captions file"]'
)


async def test_create_show_list(call: Call) -> None:
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
    assert [sf["id"] for sf in (await call("GET", f"{FILES}.json")).json()] == [sf_id]


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


async def test_caption_metadata_without_a_file_is_accepted(call: Call) -> None:
    """The captions check looks at an attached file only (supplemental_file.rb:149-152)."""
    created = await call("POST", f"{FILES}.json", json={"label": "To come", "type": "caption"})
    assert created.status == 201


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        pytest.param("fr", "French", id="two-letter-code"),
        pytest.param("GER", "German", id="code-in-any-case"),
        pytest.param("Spanish", "Spanish", id="name"),
    ],
)
async def test_languages_by_code_or_exact_name(call: Call, language: str, shown: str) -> None:
    """``LanguageTerm.find`` (app/models/language_term.rb:63-78)."""
    created = await call("POST", f"{FILES}.json", json={"label": "x", "language": language})
    assert created.status == 201
    assert (await call("GET", f"{FILES}/{created.json()['id']}.json")).json()["language"] == shown


async def test_a_multipart_body_that_does_not_parse_is_rejected_before_the_controller(
    call: Call,
) -> None:
    """Rack refuses a form it cannot read with 400 ``Bad Request``, as Rails renders it."""
    boundary = "7255458bb6a5fb14290604e9dd50a69b"
    reply = await call(
        "POST",
        f"{FILES}.json",
        data=f"--{boundary}\r\nno header here--{boundary}--\r\n".encode(),
        headers={**ADMIN, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert reply.status == 400
    assert reply.json() == {"status": 400, "error": "Bad Request"}


@pytest.mark.parametrize(
    ("kw", "message", "line"),
    [
        pytest.param({"json": {}}, "Missing required parameters", 44, id="no-parameters"),
        pytest.param(
            {"json": {"type": "other"}}, "Missing required parameters", 44, id="generic-type-only"
        ),
        pytest.param(
            {"data": {"label": "x"}}, "Missing required Content-type headers", 42, id="form-body"
        ),
    ],
)
async def test_bad_requests_carry_rubys_full_message(
    call: Call, kw: dict[str, Any], message: str, line: int
) -> None:
    """SFC:27-29 renders ``exception.full_message``: the raise site, the message and the
    class, then the backtrace with the server's paths and gem versions."""
    reply = await call("POST", f"{FILES}.json", **kw)
    assert reply.status == 400
    lines = full_message_lines(reply.json()["errors"])
    assert lines[0] == (
        f"{SFC}:{line}:in 'SupplementalFilesController#create': {message} (Avalon::BadRequest)"
    )
    assert any("/gems/actionpack-8.0.2.1/" in frame for frame in lines[1:])
    assert (await call("GET", f"{FILES}.json")).json() == []


@pytest.mark.parametrize(
    ("kw", "status", "body"),
    [
        pytest.param(
            {"data": upload(b"plain", "notes.txt", "text/plain", {"type": "caption"})},
            500,
            {"errors": NOT_A_CAPTION},
            id="caption-not-vtt",
        ),
        pytest.param(
            {"json": {"label": "x", "language": "Klingon"}}, 500, INTERNAL, id="unknown-language"
        ),
        pytest.param(
            {"json": {"label": "x", "language": "english"}}, 500, INTERNAL, id="name-in-lower-case"
        ),
        pytest.param({"data": _bad_metadata()}, 500, INTERNAL, id="bad-metadata"),
    ],
)
async def test_failures_to_save_are_500(
    call: Call, kw: dict[str, Any], status: int, body: Any
) -> None:
    """A SaveError says its message after a fixed prefix, often an inspected Ruby array
    (SFC:22-25, 59; spec/support/supplemental_files_controller_examples.rb:242-246); what
    nothing rescues (an unknown language, unparsable metadata) is Rails' generic 500."""
    reply = await call("POST", f"{FILES}.json", **kw)
    assert (reply.status, reply.json()) == (status, body)
    assert (await call("GET", f"{FILES}.json")).json() == []


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


async def test_binary_replace_needs_a_file_and_accept_json(
    call: Call, sim: AvalonSimulator, http: aiohttp.ClientSession
) -> None:
    path = "/master_files/ns064602j/supplemental_files/141"
    new = b"WEBVTT\n\nreplaced\n"
    no_accept = await call("PUT", path, data=upload(new, "t.vtt", "text/vtt"))
    assert no_accept.status == 400
    assert full_message_lines(no_accept.json()["errors"])[0].endswith(
        "in 'SupplementalFilesController#update': "
        "Missing required Accept headers (Avalon::BadRequest)"
    )
    no_file = await call(
        "PUT", path, headers=ADMIN | {"Accept": "application/json"}, data={"a": "b"}
    )
    assert no_file.status == 400
    assert "Use JSON if updating metadata. (Avalon::BadRequest)" in no_file.json()["errors"]
    replaced = await call(
        "PUT",
        path,
        headers=ADMIN | {"Accept": "application/json"},
        data=upload(new, "t.vtt", "text/vtt"),
    )
    assert (replaced.status, replaced.json()) == (200, {"id": 141})
    assert (await follow(http, sim.url + path, ADMIN))[-1].body == new
    assert (await call("GET", f"{path}.json")).json()["label"] == "Labelforit.vtt"
    caption = "/master_files/ns064602j/supplemental_files/131"
    refused = await call(
        "PUT",
        caption,
        headers=ADMIN | {"Accept": "application/json"},
        data=upload(b"plain", "t.txt", "text/plain"),
    )
    # spec/support/supplemental_files_controller_examples.rb:567-576
    assert (refused.status, refused.json()) == (500, {"errors": NOT_A_CAPTION})


async def test_supplemental_file_list_is_paginated(sim: AvalonSimulator, call: Call) -> None:
    path = "/master_files/ns064602j/supplemental_files.json"
    reply = await call("GET", f"{path}?per_page=1&page=2")
    assert [sf["id"] for sf in reply.json()] == [141]
    assert (reply.headers["Total"], reply.headers["Per-Page"]) == ("2", "1")
    assert links(reply) == {
        "first": f"{sim.url}{path}?per_page=1&page=1",
        "prev": f"{sim.url}{path}?per_page=1&page=1",
    }


async def test_listing_needs_edit_rights_and_json(call: Call) -> None:
    """SFC:281-284 authorizes :edit for everything but show; the index is routed for
    JSON only (config/routes.rb:143, 178)."""
    files = "/media_objects/gt54kn04s/supplemental_files"
    assert (await call("GET", f"{files}.json", headers=VIEWER)).status == 401
    assert (await call("GET", f"{files}.json")).status == 200
    unrouted = await call("GET", files)
    assert (unrouted.status, unrouted.headers["Content-Type"]) == (404, "text/html; charset=utf-8")


@pytest.mark.parametrize(
    ("path", "line", "message"),
    [
        pytest.param(f"{FILES}/999.json", 197, "Supplemental file: 999 not found", id="file"),
        pytest.param(
            "/master_files/1c18df984/supplemental_files/131.json",
            200,
            "Supplemental file: 131 not found",
            id="file-of-another-parent",
        ),
    ],
)
async def test_an_unknown_file_is_404_with_rubys_full_message(
    call: Call, path: str, line: int, message: str
) -> None:
    """SFC:31-33 with find_supplemental_file (SFC:194-201) called from show (SFC:82)."""
    reply = await call("GET", path)
    assert reply.status == 404
    lines = full_message_lines(reply.json()["errors"])
    assert lines[:2] == [
        f"{SFC}:{line}:in 'SupplementalFilesController#find_supplemental_file': "
        f"{message} (Avalon::NotFound)",
        f"{SFC}:82:in 'SupplementalFilesController#show'",
    ]


@pytest.mark.parametrize("parent", ["master_files", "media_objects"])
@pytest.mark.parametrize(
    ("headers", "status", "body"),
    [
        pytest.param(ADMIN, 500, json.dumps(INTERNAL).encode(), id="administrator"),
        pytest.param(VIEWER, 401, b"", id="user"),
    ],
)
async def test_an_unknown_parent_is_nothing_to_authorize(
    call: Call, parent: str, headers: dict[str, str], status: int, body: bytes
) -> None:
    """``fetch_object`` gives nil: CanCan refuses a user (401) and lets an administrator on
    to a NoMethodError on nil (500)."""
    reply = await call("GET", f"/{parent}/nope12345/supplemental_files.json", headers=headers)
    assert (reply.status, json.loads(reply.body or b"null")) == (
        status,
        json.loads(body or b"null"),
    )
