"""Avalon's supplemental files through the gateway: uploads, downloads, limits, paging."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, AvalonSimulator
from gateway.web import hal
from tests.support.avalon import first_media_object as _first_media_object
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import Navigator


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
    # Avalon fails to save it and answers 500; the type is the client's to fix.
    assert response.status == 415
    assert problem["upstream_status"] == 500
    assert problem["errors"] == [
        "An error occurred when saving the supplemental file: "
        "File type Uploaded file is not a recognized captions file"
    ]
    listing = await nav.get(nav.href(media_object, "avalon:supplemental-files"))
    assert (
        "avalon:supplemental-file" not in listing.get("_embedded", {})
        or not listing["_embedded"]["avalon:supplemental-file"]
    )


async def test_a_caption_file_keeps_its_type(nav: Navigator) -> None:
    media_object = await _first_media_object(nav)
    files = nav.href(media_object, "avalon:supplemental-files")
    form = aiohttp.FormData()
    form.add_field("file", b"WEBVTT\n", filename="c.vtt", content_type="text/vtt")
    form.add_field("metadata", json.dumps({"label": "Captions", "type": "caption"}))
    response, caption = await nav.request("POST", files, data=form)
    assert response.status == 201, caption

    response, problem = await nav.request(
        "PUT",
        nav.href(caption, "avalon:content") + "?filename=c.png",
        data=b"\x89PNG\r\n\x1a\n",
        headers={"Content-Type": "image/png"},
    )
    assert response.status == 415, problem
    assert problem["upstream_status"] == 500

    form = aiohttp.FormData()
    form.add_field("file", b"%PDF-1.4", filename="n.pdf", content_type="application/pdf")
    response, notes = await nav.request("POST", files, data=form)
    assert response.status == 201, notes
    # Made a caption, the stored PDF would be one of another type.
    response, problem = await nav.request(
        "PUT", notes["_links"]["self"]["href"], json={"label": "Notes", "type": "caption"}
    )
    assert response.status == 409, problem
    assert (await nav.get(notes["_links"]["self"]["href"]))["label"] == "n.pdf"


async def test_json_only_supplemental_file(nav: Navigator) -> None:
    media_object = await _first_media_object(nav)
    response, created = await nav.request(
        "POST",
        nav.href(media_object, "avalon:supplemental-files"),
        json={"label": "Transcript to come", "type": "transcript"},
    )
    assert response.status == 201, created
    assert created["label"] == "Transcript to come"


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


async def test_if_match_on_relayed_content_is_412_and_writes_nothing(nav: Navigator) -> None:
    """The content is relayed bytes with no tag to check; its GET must not run inside the PUT
    (it would write the file to the connection in place of the PUT's answer)."""
    media_object = await _first_media_object(nav)
    files_href = nav.href(media_object, "avalon:supplemental-files")
    form = aiohttp.FormData()
    form.add_field("file", b"WEBVTT\n\nfirst", filename="a.vtt", content_type="text/vtt")
    response, created = await nav.request("POST", files_href, data=form)
    assert response.status == 201, created
    content = nav.href(created, "avalon:content")
    response, problem = await nav.request(
        "PUT",
        content,
        data=b"WEBVTT\n\nsecond",
        headers={"Content-Type": "text/vtt", "If-Match": 'W/"anything"'},
    )
    assert response.status == 412
    assert response.content_type == "application/problem+json"
    assert "without If-Match" in problem["detail"]
    response, downloaded = await nav.request("GET", content)
    assert downloaded == b"WEBVTT\n\nfirst"
