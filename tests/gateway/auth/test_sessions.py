"""The life of a login session, on a clock the tests move: expiry, and logged-out copies.

Sessions are timed by the state store's clock (``StateStore.clock``): the tests set one
they move by hand, so a session's end is seen without waiting for it.
"""

from __future__ import annotations

import base64
import time
from http.cookies import SimpleCookie
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.app import STORE
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import USERS, auth_table

COOKIE = "halgw_session"
TTL_S = 600


async def _login(client: TestClient[Any, Any], user: str = "editor") -> tuple[str, str]:
    """Log in with the session cookie: (the cookie's value, the CSRF token)."""
    response = await client.post("/auth/login", json={"username": user, "password": USERS[user][0]})
    assert response.status == 200
    cookies: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", ()):
        cookies.load(header)
    return cookies[COOKIE].value, (await response.json())["csrf_token"]


async def _on_a_clock(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> tuple[TestClient[Any, Any], FakeClock]:
    client = await gateway(make_config(auth=auth_table(session_ttl_s=TTL_S)), user=None)
    clock = FakeClock()
    client.app[STORE].clock = clock
    return client, clock


async def test_a_session_ends_when_its_life_is_over(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client, clock = await _on_a_clock(gateway, make_config)
    await _login(client)
    clock.advance(TTL_S - 1)
    me = await client.get("/auth/me")
    assert me.status == 200
    assert (await me.json())["via"] == "session"
    clock.advance(2)
    expired = await client.get("/auth/me")
    assert expired.status == 401
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")
    # Nothing behind a login opens either: the cookie names nobody any more.
    assert (await client.get("/backends/flex")).status == 401


async def test_a_logged_out_cookie_stays_refused_for_the_rest_of_its_life(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    """A copy kept elsewhere (another tab, a stolen one) is refused after the logout,
    up to the moment the session would have ended anyway, and after."""
    client, clock = await _on_a_clock(gateway, make_config)
    copy, csrf = await _login(client)
    clock.advance(TTL_S / 2)
    logout = await client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert logout.status == 204
    for step in (0, TTL_S / 2 - 2, 3):
        clock.advance(step)
        client.session.cookie_jar.update_cookies({COOKIE: copy})
        assert (await client.get("/auth/me")).status == 401, step


async def test_a_session_ends_at_the_second_its_expiry_names(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(auth=auth_table(session_ttl_s=TTL_S)), user=None)
    start = float(int(time.time()))
    clock = client.app[STORE].clock = FakeClock(start)
    await _login(client)
    me = await client.get("/auth/me")
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + TTL_S))
    assert (me.status, (await me.json())["expires_at"]) == (200, expires)
    clock.advance(TTL_S - 0.5)
    assert (await client.get("/auth/me")).status == 200
    clock.advance(0.5)
    assert (await client.get("/auth/me")).status == 401


async def test_a_logout_in_the_last_second_still_refuses_copies(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(auth=auth_table(session_ttl_s=TTL_S)), user=None)
    clock = client.app[STORE].clock = FakeClock(float(int(time.time())))
    copy, csrf = await _login(client)
    clock.advance(TTL_S - 0.5)
    logout = await client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert logout.status == 204
    client.session.cookie_jar.update_cookies({COOKIE: copy})
    assert (await client.get("/auth/me")).status == 401


async def test_gateways_with_the_same_secret_key_share_sessions(
    gateway: GatewayFactory, make_config: ConfigFactory, caplog: pytest.LogCaptureFixture
) -> None:
    def config(key: bytes) -> Any:
        return make_config(session={"secret_key": base64.urlsafe_b64encode(key).decode()})

    first = await gateway(config(b"k" * 32), user=None)
    second = await gateway(config(b"k" * 32), user=None)
    other = await gateway(config(b"o" * 32), user=None)
    cookie, _ = await _login(first)
    for client, status in ((second, 200), (other, 401)):
        client.session.cookie_jar.update_cookies({COOKIE: cookie})
        assert (await client.get("/auth/me")).status == status
    assert not [r for r in caplog.records if r.name == "gateway.auth.sessions"]


async def test_without_a_secret_key_sessions_last_as_long_as_the_process_and_it_says_so(
    gateway: GatewayFactory, make_config: ConfigFactory, caplog: pytest.LogCaptureFixture
) -> None:
    first = await gateway(make_config(), user=None)
    second = await gateway(make_config(), user=None)
    cookie, _ = await _login(first)
    assert (await first.get("/auth/me")).status == 200
    second.session.cookie_jar.update_cookies({COOKIE: cookie})
    assert (await second.get("/auth/me")).status == 401  # each process keys its own
    warnings = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "gateway.auth.sessions"
    ]
    said = (
        "session.secret_key is empty: sessions are encrypted with a random key and end "
        "when this process stops"
    )
    assert warnings == [("WARNING", said)] * 2


async def test_behind_a_prefix_the_cookie_is_for_that_prefix_only(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(server={"public_url": "http://media.example.org/hal-X/"})
    client = await gateway(config, user=None)
    login = await client.post(
        "/auth/login", json={"username": "editor", "password": USERS["editor"][0]}
    )
    cookies: SimpleCookie = SimpleCookie()
    for header in login.headers.getall("Set-Cookie", ()):
        cookies.load(header)
    assert (cookies[COOKIE]["path"], cookies[COOKIE]["secure"]) == ("/hal-X", "")


@pytest.mark.parametrize(
    ("proto", "secure"),
    [pytest.param("https", True, id="https"), pytest.param("http", "", id="http")],
)
async def test_the_cookie_is_secure_when_a_trusted_proxy_says_the_client_came_over_https(
    gateway: GatewayFactory, make_config: ConfigFactory, proto: str, secure: bool | str
) -> None:
    """Without a public URL, the scheme a trusted proxy forwards is the client's."""
    config = make_config(server={"trust_forwarded": True, "allowed_hosts": ["127.0.0.1"]})
    client = await gateway(config, user=None, headers={"X-Forwarded-Proto": proto})
    login = await client.post(
        "/auth/login", json={"username": "editor", "password": USERS["editor"][0]}
    )
    assert login.status == 200
    assert (await login.json())["_links"]["self"]["href"].startswith(proto + "://")
    cookies: SimpleCookie = SimpleCookie()
    for header in login.headers.getall("Set-Cookie", ()):
        cookies.load(header)
    assert cookies[COOKIE]["secure"] == secure
    assert cookies[COOKIE]["httponly"] is True
