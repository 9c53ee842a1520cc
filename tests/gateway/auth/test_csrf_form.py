"""The session's CSRF token in a form body: what a browser's form post may carry it in.

A browser posting a form as a navigation cannot set ``X-CSRF-Token``, so a small
url-encoded body sent to one of the gateway's own routes (logging out, the consent page)
may carry the token in its ``csrf_token`` field instead. Any other body (too big, chunked,
encoded, multipart) is not read for it, and a backend's route never reads it: its body
goes upstream. Those need the header, or they are 403 and nothing happens.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from gateway.auth.sessions import CSRF_FORM_BYTES
from tests.support.avalon import first_media_object
from tests.support.fixtures import EVERY_KIND, FLEX, ConfigFactory, GatewayFactory
from tests.support.identities import USERS
from tests.support.navigator import Navigator

FORM: Final = "application/x-www-form-urlencoded"
Client = TestClient[Any, Any]


async def _session_of_editor(client: Client) -> str:
    """Log the editor in with a password (the session cookie kept); the CSRF token."""
    answer = await client.post(
        "/auth/login", json={"username": "editor", "password": USERS["editor"][0]}
    )
    assert answer.status == 200
    return str((await answer.json())["csrf_token"])


async def _collection(nav: Navigator) -> str:
    """The href of a Flex collection, which DELETE removes upstream."""
    listing = await nav.follow(await nav.backend("flex"), "flex:collections")
    return nav.href(listing["_embedded"]["flex:collection"][0], "self")


async def _still_there(nav: Navigator, href: str) -> bool:
    answer, _ = await nav.request("GET", href)
    return answer.status == 200


@pytest.fixture
async def flex(gateway: GatewayFactory, make_config: ConfigFactory) -> tuple[Navigator, str]:
    """A navigator with the editor's session, and the CSRF token of that session."""
    client = await gateway(make_config(backends={"flex": FLEX}), user=None)
    token = await _session_of_editor(client)
    return Navigator(client), token


async def test_a_backend_route_takes_the_token_in_its_header_only(
    flex: tuple[Navigator, str],
) -> None:
    nav, token = flex
    href = await _collection(nav)
    refused = await nav.problem("DELETE", href, 403, data={"csrf_token": token})
    assert "X-CSRF-Token" in refused["detail"]
    assert await _still_there(nav, href)
    answer, body = await nav.request("DELETE", href, headers={"X-CSRF-Token": token})
    assert answer.status == 204, body
    assert not await _still_there(nav, href)


async def test_a_browser_form_logs_out_of_a_password_session(flex: tuple[Navigator, str]) -> None:
    nav, token = flex
    answer, _ = await nav.request(
        "POST",
        nav.base + "/auth/logout",
        data={"csrf_token": token},
        headers={"Sec-Fetch-Mode": "navigate"},
    )
    assert answer.status == 204
    after, _ = await nav.request("GET", nav.base + "/auth/me")
    assert after.status == 401


async def test_a_form_of_exactly_the_size_limit_is_read_for_the_token(
    flex: tuple[Navigator, str],
) -> None:
    nav, token = flex
    start = urlencode({"csrf_token": token, "note": ""})
    form = start + "a" * (CSRF_FORM_BYTES - len(start))
    assert len(form.encode()) == CSRF_FORM_BYTES
    answer, _ = await nav.request(
        "POST", nav.base + "/auth/logout", data=form, headers={"Content-Type": FORM}
    )
    assert answer.status == 204
    assert (await nav.request("GET", nav.base + "/auth/me"))[0].status == 401


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    yield body


def _multipart(token: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf_token", token)
    form.add_field("file", b"any bytes", filename="notes.txt", content_type="text/plain")
    return form


def _refused_bodies(token: str) -> dict[str, dict[str, Any]]:
    """Request keywords per kind of body that must not log out with the token in it."""
    padded = urlencode({"csrf_token": token, "note": "a" * CSRF_FORM_BYTES})
    right = urlencode({"csrf_token": token}).encode()
    return {
        "wrong": {"data": {"csrf_token": "x" * len(token)}},
        "none": {"data": {"note": "no token here"}},
        "empty": {"data": {"csrf_token": ""}},
        "over-the-limit": {"data": padded, "headers": {"Content-Type": FORM}},
        "chunked": {"data": _chunks(right), "headers": {"Content-Type": FORM}},
        "encoded": {
            "data": gzip.compress(right),
            "headers": {"Content-Type": FORM, "Content-Encoding": "gzip"},
        },
        "multipart": {"data": _multipart(token)},
        "declared-coding": {
            "data": right,
            "headers": {"Content-Type": FORM, "Content-Encoding": "identity"},
        },
    }


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("wrong", id="wrong-token"),
        pytest.param("none", id="no-token"),
        pytest.param("empty", id="empty-token"),
        pytest.param("over-the-limit", id="body-over-the-limit"),
        pytest.param("chunked", id="chunked-body"),
        pytest.param("encoded", id="content-encoding"),
        pytest.param("multipart", id="multipart-body"),
        pytest.param("declared-coding", id="content-encoding-identity"),
    ],
)
async def test_a_body_that_is_not_a_small_form_with_the_token_is_403(
    flex: tuple[Navigator, str], kind: str
) -> None:
    nav, token = flex
    sent = _refused_bodies(token)[kind]
    refused = await nav.problem("POST", nav.base + "/auth/logout", 403, **sent)
    assert "X-CSRF-Token" in refused["detail"]
    assert (await nav.request("GET", nav.base + "/auth/me"))[0].status == 200  # session lives


async def test_a_streaming_routes_body_is_never_read_for_the_token(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(backends={"avalon": EVERY_KIND["avalon"]})
    client = await gateway(config, user=None)
    token = await _session_of_editor(client)
    nav = Navigator(client, "avalon")
    files = nav.href(await first_media_object(nav), "avalon:supplemental-files")
    upload = aiohttp.FormData()
    upload.add_field("file", b"WEBVTT\n", filename="a.vtt", content_type="text/vtt")
    answer, created = await nav.request("POST", files, data=upload, headers={"X-CSRF-Token": token})
    assert answer.status == 201, created
    href = nav.href(created, "avalon:content")
    kept = (await nav.request("GET", href))[1]
    # A form that carries the right token, sent to an upload that streams its body on.
    form = urlencode({"csrf_token": token}).encode()
    replace = href + "?filename=form.txt"
    refused = await nav.problem("PUT", replace, 403, data=form, headers={"Content-Type": FORM})
    assert "X-CSRF-Token" in refused["detail"]
    assert (await nav.request("GET", href))[1] == kept
    # With the token in its header the same upload goes through.
    answer, body = await nav.request(
        "PUT", replace, data=form, headers={"Content-Type": FORM, "X-CSRF-Token": token}
    )
    assert answer.status == 200, body
    assert (await nav.request("GET", href))[1] == form
