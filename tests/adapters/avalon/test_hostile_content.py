"""Hostile supplemental files: what an editor uploads never runs on the gateway's origin,
and HEAD on a download sends headers only.

An editor may upload any bytes under any type. Served back inline as ``text/html`` on the
gateway's own origin, a script in them would read a victim's CSRF token from
``/auth/me`` and act as the victim. With ``supplemental_files.proxy: true`` Avalon sends
the bytes itself, in the type they were uploaded as and ``inline``; by default Rails'
storage service turns such types into ``application/octet-stream`` attachments. Either
way the gateway's answer must be one no browser runs.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from yarl import URL

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, AvalonSimulator
from tests.support.avalon import first_media_object
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.identities import bearer
from tests.support.navigator import Navigator
from tests.support.wire import body_of, head_alone, head_then_get, header, status_of

SCRIPT = b"<!doctype html><script>fetch('/auth/me').then(r => r.json())</script>"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def _editor(
    start_simulator: StartSimulator[AvalonSimulator],
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    proxy: bool,
) -> Navigator:
    sim = await start_simulator(AvalonSimulator(supplemental_files_proxy=proxy))
    backend = {"kind": "avalon", "url": sim.url, "api_key": DEFAULT_ADMIN_KEY, "retries": 0}
    client = await gateway(make_config(backends={"archive": backend}), user="editor")
    return Navigator(client, "archive")


async def _upload(nav: Navigator, data: bytes, filename: str, content_type: str) -> str:
    """Upload a supplemental file to the first master file; its ``avalon:content`` href."""
    media_object = await first_media_object(nav)
    master_file = media_object["_embedded"]["avalon:master-file"][0]
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type=content_type)
    form.add_field("metadata", json.dumps({"label": "Notes"}))
    response, created = await nav.request(
        "POST", nav.href(master_file, "avalon:supplemental-files"), data=form
    )
    assert response.status == 201, created
    assert isinstance(created, dict)
    return nav.href(created, "avalon:content")


def _proxy_ids(values: list[bool]) -> list[Any]:
    return [pytest.param(v, id="proxy" if v else "storage-service") for v in values]


@pytest.mark.parametrize("proxy", _proxy_ids([True, False]))
@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        pytest.param("notes.html", "text/html", id="html"),
        pytest.param("notes.svg", "image/svg+xml", id="svg"),
        pytest.param("notes.xhtml", "application/xhtml+xml", id="xhtml"),
        pytest.param("notes.xml", "text/xml", id="xml"),
        pytest.param("notes.js", "application/javascript", id="javascript"),
        pytest.param("notes.pdf", "application/pdf", id="pdf"),
    ],
)
async def test_an_uploaded_page_is_an_attachment_that_never_runs(
    start_simulator: StartSimulator[AvalonSimulator],
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    proxy: bool,
    filename: str,
    content_type: str,
) -> None:
    nav = await _editor(start_simulator, gateway, make_config, proxy)
    href = await _upload(nav, SCRIPT, filename, content_type)
    response, body = await nav.request("GET", href)
    assert response.status == 200
    assert body == SCRIPT  # the bytes as stored: only how a browser treats them changes
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment"), disposition
    assert f'filename="{filename}"' in disposition  # the name kept for the download
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("proxy", _proxy_ids([True]))
async def test_a_passive_image_stays_inline_but_sandboxed(
    start_simulator: StartSimulator[AvalonSimulator],
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    proxy: bool,
) -> None:
    nav = await _editor(start_simulator, gateway, make_config, proxy)
    href = await _upload(nav, PNG, "still.png", "image/png")
    response, body = await nav.request("GET", href)
    assert (response.status, response.content_type, body) == (200, "image/png", PNG)
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize("proxy", _proxy_ids([True, False]))
async def test_head_then_get_on_one_connection_gets_two_whole_answers(
    start_simulator: StartSimulator[AvalonSimulator],
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    proxy: bool,
) -> None:
    """The issue's desynchronisation: a stored fake answer read as the next request's."""
    nav = await _editor(start_simulator, gateway, make_config, proxy)
    fake = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nowned"
    href = await _upload(nav, fake, "fake.txt", "text/plain")
    auth = bearer(nav.client.app, "editor")

    head, rest = await head_then_get(URL(href), auth)
    assert status_of(head) == 200
    assert header(head, "Content-Length") == str(len(fake))  # what a GET would send
    assert rest.startswith(b"HTTP/1.1 200 "), rest[:80]
    assert body_of(rest) == fake

    head, after = await head_alone(URL(href), auth)
    assert status_of(head) == 200
    assert after == b""
