"""Supplemental-file downloads through the gateway: Avalon's redirects to the stored blob
followed in the gateway, the bytes streamed with their type, the key kept at home.

Avalon's content URL answers 302 to Rails' blob route, which answers 302 to the storage
service (``supplemental_files_controller.rb:92``, ``config/settings.yml:101-102``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, AvalonSimulator
from tests.support.avalon import content_href, stand_in
from tests.support.avalon import first_media_object as _first_media_object
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.navigator import PROBLEM, Navigator

Serve = Callable[[web.Application], Awaitable[str]]
CAPTION = "WEBVTT\r\n\r\n1\r\n00:00:00.000 --> 00:00:02.500\r\nGrüße, ça va ?\r\n".encode()


async def _gateway(
    gateway: GatewayFactory, make_config: ConfigFactory, url: str, *storage: str
) -> Navigator:
    backend = {"kind": "avalon", "url": url, "api_key": DEFAULT_ADMIN_KEY, "retries": 0}
    if storage:  # a storage service on loopback is followed only when listed
        backend["storage_origins"] = list(storage)
    return Navigator(await gateway(make_config(backends={"archive": backend})), "archive")


async def _upload_caption(nav: Navigator) -> dict[str, Any]:
    media_object = await _first_media_object(nav)
    master_file = media_object["_embedded"]["avalon:master-file"][0]
    form = aiohttp.FormData()
    form.add_field("file", CAPTION, filename="grüße.vtt", content_type="text/vtt")
    form.add_field("metadata", json.dumps({"label": "German", "type": "caption"}))
    response, created = await nav.request(
        "POST", nav.href(master_file, "avalon:supplemental-files"), data=form
    )
    assert response.status == 201, created
    assert isinstance(created, dict)
    return created


async def test_a_caption_round_trips_byte_for_byte(nav: Navigator) -> None:
    created = await _upload_caption(nav)
    response, body = await nav.request("GET", nav.href(created, "avalon:content"))
    assert response.status == 200
    assert body == CAPTION
    assert response.content_type == "text/vtt"
    # As ActiveStorage serves a type it does not show inline: an attachment, its name kept.
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"grusse.vtt\"; filename*=UTF-8''gr%C3%BC%C3%9Fe.vtt"
    )


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"separate_storage": True}, id="storage-on-another-origin"),
        pytest.param({"supplemental_files_proxy": True}, id="proxy-setting"),
    ],
)
async def test_every_way_avalon_serves_the_bytes(
    start_simulator: StartSimulator[AvalonSimulator],
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    options: dict[str, bool],
) -> None:
    sim = await start_simulator(
        AvalonSimulator(
            separate_storage=options.get("separate_storage", False),
            supplemental_files_proxy=options.get("supplemental_files_proxy", False),
        )
    )
    nav = await _gateway(gateway, make_config, sim.url, *filter(None, [sim.storage_url]))
    created = await _upload_caption(nav)
    assert sim.storage_requests == []
    response, body = await nav.request("GET", nav.href(created, "avalon:content"))
    assert (response.status, response.content_type, body) == (200, "text/vtt", CAPTION)
    if options.get("separate_storage"):
        # What the storage host received when the gateway fetched: one request, keyless.
        (received,) = sim.storage_requests
        sent = {name.lower() for name in received}
        assert not sent & {"avalon-api-key", "authorization", "cookie"}, received


async def test_the_key_goes_to_avalons_controller_only(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve
) -> None:
    """The blob route on Avalon's own origin gets no key either: it needs none."""
    seen: list[tuple[str, str | None, str]] = []

    def record(request: web.Request) -> None:
        key = request.headers.get("Avalon-Api-Key")
        seen.append((request.path, key, request.raw_path.partition("?")[2]))

    async def bucket(request: web.Request) -> web.StreamResponse:
        record(request)
        headers = {"Content-Disposition": 'attachment; filename="c.vtt"'}
        return web.Response(body=CAPTION, content_type="text/vtt", headers=headers)

    storage_app = web.Application()
    storage_app.router.add_get("/bucket/key", bucket)
    storage = await upstream(storage_app)
    signed = "X-Amz-Signature=a%2Fb%3D&X-Amz-Expires=300"

    async def content(request: web.Request) -> web.StreamResponse:
        record(request)
        # Relative, as Rails may write it; the gateway resolves it against the request.
        return _redirect("/rails/active_storage/blobs/redirect/s1/c.vtt?disposition=inline")

    async def blob(request: web.Request) -> web.StreamResponse:
        record(request)
        return _redirect(f"{storage}/bucket/key?{signed}")

    app = stand_in(content)
    app.router.add_get("/rails/active_storage/blobs/redirect/s1/c.vtt", blob)
    nav = await _gateway(gateway, make_config, await upstream(app), storage)
    response, body = await nav.request("GET", await content_href(nav))
    assert (response.status, response.content_type, body) == (200, "text/vtt", CAPTION)
    assert response.headers["Content-Disposition"] == 'attachment; filename="c.vtt"'
    assert seen == [
        ("/media_objects/m1/supplemental_files/7", DEFAULT_ADMIN_KEY, ""),
        ("/rails/active_storage/blobs/redirect/s1/c.vtt", None, "disposition=inline"),
        ("/bucket/key", None, signed),  # the signed query exactly as Avalon wrote it
    ]


def _redirect(location: str | None, status: int = 302) -> web.Response:
    return web.Response(status=status, headers={"Location": location} if location else {})


BLOB = "/rails/active_storage/blobs/redirect/s1/c.vtt"
STORAGE_ERROR = b"<Error><Code>AccessDenied</Code><HostId>s3.internal.example</HostId></Error>"


@pytest.mark.parametrize(
    ("content", "blob"),
    [
        pytest.param(
            _redirect("/media_objects/m1/edit?step=file-upload"), None, id="redirect-to-a-page"
        ),
        pytest.param(_redirect(BLOB), _redirect(BLOB), id="redirect-loop"),
        pytest.param(_redirect(BLOB), _redirect("ftp://files.example.org/c.vtt"), id="not-http"),
        pytest.param(_redirect(None), None, id="redirect-without-location"),
        pytest.param(_redirect(BLOB, status=300), None, id="multiple-choices"),
        pytest.param(
            _redirect(BLOB),
            web.Response(status=403, body=STORAGE_ERROR, content_type="application/xml"),
            id="storage-refuses",
        ),
    ],
)
async def test_a_redirect_never_reaches_the_client_as_the_file(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    upstream: Serve,
    content: web.Response,
    blob: web.Response | None,
) -> None:
    async def answer_content(request: web.Request) -> web.StreamResponse:
        return _redirect(content.headers.get("Location"), content.status)

    async def answer_blob(request: web.Request) -> web.StreamResponse:
        assert blob is not None
        if blob.status == 403:
            return web.Response(status=403, body=STORAGE_ERROR, content_type="application/xml")
        return _redirect(blob.headers.get("Location"), blob.status)

    app = stand_in(answer_content)
    app.router.add_get(BLOB, answer_blob)
    nav = await _gateway(gateway, make_config, await upstream(app))
    response, problem = await nav.request("GET", await content_href(nav))
    assert (response.status, response.content_type) == (503, PROBLEM)
    assert problem["code"] == "upstream-unavailable"
    assert problem["backend"] == "archive"
    assert "could not deliver the file" in problem["detail"]
    assert "AccessDenied" not in json.dumps(problem)
    assert "s3.internal" not in json.dumps(problem)
