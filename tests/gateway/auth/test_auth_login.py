"""Logging in with a session cookie: the answer, the cookie, CSRF, fixation, logout."""

from __future__ import annotations

import base64
from http.cookies import SimpleCookie
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.web.statuses import ERROR_STATUSES
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import USERS, auth_table

HAL = "application/hal+json"
PROBLEM = "application/problem+json"
COOKIE = "halgw_session"


async def _login(
    client: TestClient[Any, Any], user: str = "editor", password: str | None = None
) -> tuple[int, dict[str, Any], SimpleCookie]:
    response = await client.post(
        "/auth/login",
        json={"username": user, "password": USERS[user][0] if password is None else password},
    )
    cookies: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", ()):
        cookies.load(header)
    return response.status, await response.json(), cookies


async def test_login_answers_who_logged_in_and_sets_a_small_flagged_cookie(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    status, body, cookies = await _login(client)
    assert status == 200, body
    assert (body["name"], body["kind"], body["roles"], body["via"]) == (
        "editor",
        "user",
        ["editor"],
        "session",
    )
    assert len(body["csrf_token"]) >= 32
    assert body["_links"]["gw:me"]["href"].endswith("/auth/me")
    assert body["_links"]["gw:root"]["href"].endswith("/")
    morsel = cookies[COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["max-age"] == "28800"
    assert morsel["path"] == "/"
    assert not morsel["secure"]  # plain http here
    assert len(morsel.OutputString()) < 1024  # far below aiohttp's 8190-byte header limit
    assert USERS["editor"][0] not in morsel.value


async def test_the_session_opens_every_route_and_the_root_lists_backends(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    anonymous = await (await client.get("/", headers={"Accept": HAL})).json()
    assert "gw:backend" not in anonymous["_links"]
    assert "gw:login" in anonymous["_links"]
    assert (await client.get("/auth/me")).status == 401
    await _login(client)
    me = await (await client.get("/auth/me")).json()
    assert (me["name"], me["via"]) == ("editor", "session")
    assert [b["name"] for b in me["backends"] if b["allowed"]] == ["flex", "azure"]
    root = await (await client.get("/", headers={"Accept": HAL})).json()
    assert [link["name"] for link in root["_links"]["gw:backend"]] == ["flex", "azure"]
    assert "gw:admin" not in root["_links"]  # editors are no admins
    assert (await client.get("/backends/flex")).status == 200


async def test_a_form_login_works_like_json(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    response = await client.post(
        "/auth/login", data={"username": "reader", "password": USERS["reader"][0]}
    )
    assert response.status == 200
    assert (await response.json())["roles"] == ["reader"]


@pytest.mark.parametrize(
    ("user", "password"),
    [
        pytest.param("editor", "not-the-password", id="wrong-password"),
        pytest.param("nobody", "not-the-password", id="unknown-user"),
    ],
)
async def test_a_refused_login_does_not_say_whether_the_user_exists(
    gateway: GatewayFactory, user: str, password: str
) -> None:
    client = await gateway(user=None)
    response = await client.post("/auth/login", json={"username": user, "password": password})
    assert response.status == 401
    assert response.content_type == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = await response.json()
    assert body["detail"] == "the user name or the password is wrong"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("kwargs", "status", "detail"),
    [
        pytest.param(
            {"json": {"username": "editor"}}, 400, "send username and password", id="no-pw"
        ),
        pytest.param({"json": ["editor"]}, 400, "JSON object", id="not-an-object"),
        pytest.param(
            {"data": b"{nope", "headers": {"Content-Type": "application/json"}},
            400,
            "not valid JSON",
            id="malformed",
        ),
        pytest.param(
            {"data": b"username=editor", "headers": {"Content-Type": "text/plain"}},
            415,
            "text/plain",
            id="wrong-type",
        ),
    ],
)
async def test_a_malformed_login_is_a_clear_error(
    gateway: GatewayFactory, kwargs: dict[str, Any], status: int, detail: str
) -> None:
    client = await gateway(user=None)
    response = await client.post("/auth/login", **kwargs)
    assert response.status == status
    assert status in ERROR_STATUSES
    assert detail in (await response.json())["detail"]


async def test_unsafe_cookie_requests_need_the_csrf_token(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    _, body, _ = await _login(client)
    missing = await client.post("/auth/logout")
    assert missing.status == 403
    assert "X-CSRF-Token" in (await missing.json())["detail"]
    wrong = await client.post("/auth/logout", headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status == 403
    assert (await client.get("/auth/me")).status == 200  # still logged in
    done = await client.post("/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert done.status == 204
    assert (await client.get("/auth/me")).status == 401


async def test_bearer_requests_need_no_csrf_token(gateway: GatewayFactory) -> None:
    client = await gateway(user="editor")
    assert (await client.post("/auth/logout")).status == 204


async def test_every_login_starts_a_new_session(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    # A cookie planted before the login (say, by an attacker) is not adopted.
    client.session.cookie_jar.update_cookies({COOKIE: "planted-by-someone-else"})
    _, first_body, first = await _login(client)
    _, second_body, second = await _login(client)
    assert first[COOKIE].value != "planted-by-someone-else"
    assert first[COOKIE].value != second[COOKIE].value
    assert first_body["csrf_token"] != second_body["csrf_token"]


async def test_a_logged_out_session_cookie_is_refused_even_as_a_copy(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    _, body, cookies = await _login(client)
    copy = cookies[COOKIE].value
    await client.post("/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    client.session.cookie_jar.update_cookies({COOKIE: copy})
    response = await client.get("/auth/me")
    assert response.status == 401


async def test_the_cookie_is_secure_behind_an_https_public_url(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(
        make_config(server={"public_url": "https://media.example.org/gw"}), user=None
    )
    _, _, cookies = await _login(client)
    assert cookies[COOKIE]["secure"] is True
    assert cookies[COOKIE]["path"] == "/gw"


async def test_a_user_removed_from_the_config_loses_the_session(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    key = base64.urlsafe_b64encode(b"k" * 32).decode()
    before = await gateway(make_config(session={"secret_key": key}), user=None)
    _, _, cookies = await _login(before, "reader")
    without_reader = auth_table(users=[u for u in auth_table()["users"] if u["name"] != "reader"])
    after = await gateway(make_config(auth=without_reader, session={"secret_key": key}), user=None)
    after.session.cookie_jar.update_cookies({COOKIE: cookies[COOKIE].value})
    assert (await after.get("/auth/me")).status == 401
    # The same cookie still opens the gateway that knows the user: the key is shared.
    before.session.cookie_jar.update_cookies({COOKIE: cookies[COOKIE].value})
    assert (await before.get("/auth/me")).status == 200


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "https://evil.example"}, id="foreign-origin"),
        pytest.param({"Origin": "null"}, id="opaque-origin"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="cross-site-fetch"),
    ],
)
async def test_a_login_from_another_sites_page_is_refused(
    gateway: GatewayFactory, headers: dict[str, str]
) -> None:
    client = await gateway(user=None)
    response = await client.post(
        "/auth/login",
        data={"username": "reader", "password": USERS["reader"][0]},
        headers=headers,
    )
    assert response.status == 403
    assert "Set-Cookie" not in response.headers


async def test_a_login_from_the_gateways_own_origin_is_taken(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    origin = str(client.make_url("")).rstrip("/")
    response = await client.post(
        "/auth/login",
        json={"username": "reader", "password": USERS["reader"][0]},
        headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status == 200


async def test_logging_in_again_ends_the_earlier_session(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    _, _, first = await _login(client, "reader")
    await _login(client, "editor")
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: first[COOKIE].value})
    assert (await client.get("/auth/me")).status == 401
