"""The life of a login session, on a clock the tests move: expiry, and logged-out copies.

Sessions are timed by the state store's clock (``StateStore.clock``): the tests set one
they move by hand, so a session's end is seen without waiting for it.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

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
