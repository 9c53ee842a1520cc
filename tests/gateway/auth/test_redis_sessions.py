"""Login sessions kept in Redis, in-process against the suite's real redis-server.

The cookie holds only a random key; the session is the Redis record
``<key_prefix>session:<key>``, which lives as long as the session (``auth.session_ttl_s``)
and is deleted at logout. A cookie naming nothing, or a record the gateway cannot use,
is no session; a Redis that fails is a 503, counted by operation.
"""

from __future__ import annotations

import base64
import calendar
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from typing import Any, Final

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import USERS, auth_table
from tests.support.scraped import scrape

COOKIE: Final = "halgw_session"
TTL_S: Final = 600
METRICS_TOKEN: Final = "scrape-token-for-the-session-store-0123456789"
Client = TestClient[Any, Any]


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client of the suite's Redis, to look at what the gateway keeps there."""
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


def _session_config(make_config: ConfigFactory, url: str, prefix: str, **server: Any) -> Any:
    return make_config(
        server={"probe_interval_s": 3600, **server},
        backends={},
        auth=auth_table(session_ttl_s=TTL_S),
        session={"store": "redis", "redis_url": url, "key_prefix": prefix},
    )


def _cookies(response: aiohttp.ClientResponse) -> SimpleCookie:
    cookies: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", ()):
        cookies.load(header)
    return cookies


async def _login(client: Client) -> tuple[str, str]:
    """Log the editor in: (the session cookie's value, the CSRF token)."""
    answer = await client.post(
        "/auth/login", json={"username": "editor", "password": USERS["editor"][0]}
    )
    assert answer.status == 200, await answer.text()
    return _cookies(answer)[COOKIE].value, (await answer.json())["csrf_token"]


async def _stored(redis: aioredis.Redis, key: str) -> bytes:
    found = await redis.get(key)
    assert isinstance(found, bytes), key
    return found


def _record(**session: Any) -> str:
    """A session record as the gateway writes one, made now, with ``session`` as its data."""
    return json.dumps({"created": int(time.time()), "session": session})


def _live(**changes: Any) -> dict[str, Any]:
    """The data of a live session of the editor, with ``changes``."""
    data = {
        "sid": uuid.uuid4().hex,
        "sub": "editor",
        "kind": "user",
        "csrf": secrets.token_urlsafe(32),
        "exp": int(time.time()) + TTL_S,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


async def test_a_session_lives_in_redis_under_the_prefix_until_its_logout(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    redis_url: str,
    key_prefix: str,
    redis: aioredis.Redis,
) -> None:
    client = await gateway(_session_config(make_config, redis_url, key_prefix), user=None)
    login = await client.post(
        "/auth/login", json={"username": "editor", "password": USERS["editor"][0]}
    )
    assert login.status == 200
    morsel = _cookies(login)[COOKIE]
    key, csrf = morsel.value, (await login.json())["csrf_token"]
    # The cookie is a 32-byte random key, and nothing else.
    assert len(base64.urlsafe_b64decode(key + "=")) == 32
    assert len(base64.urlsafe_b64decode(csrf + "=")) == 32  # so is the CSRF token
    assert (morsel["max-age"], morsel["httponly"], morsel["samesite"], morsel["path"]) == (
        str(TTL_S),
        True,
        "Lax",
        "/",
    )
    # The end in both forms a browser may read: for old ones, a date.
    expires = calendar.timegm(time.strptime(morsel["expires"], "%a, %d-%b-%Y %H:%M:%S GMT"))
    assert abs(expires - (time.time() + TTL_S)) < 60
    stored = f"{key_prefix}session:{key}"
    assert 0 < await redis.pttl(stored) <= TTL_S * 1000
    record = json.loads(await _stored(redis, stored))
    session = record["session"]
    assert (session["sub"], session["kind"], session["csrf"]) == ("editor", "user", csrf)
    assert USERS["editor"][0] not in json.dumps(record)

    me = await client.get("/auth/me")
    assert me.status == 200
    assert ((await me.json())["name"], (await me.json())["via"]) == ("editor", "session")

    logout = await client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert logout.status == 204
    cleared = _cookies(logout)[COOKIE]
    assert (cleared.value, cleared["max-age"], cleared["path"]) == ("", "0", "/")
    assert await redis.exists(stored) == 0
    # The copy is refused for the rest of the session's life, and no longer.
    marker = f"{key_prefix}revoked:session:{session['sid']}"
    assert 0 < await redis.pttl(marker) <= (session["exp"] - time.time()) * 1000 + 1000
    ended = json.loads(await _stored(redis, marker))  # what an operator reads: when it ended
    assert list(ended) == ["at"]
    assert abs(ended["at"] - time.time()) < 60
    copy = await client.get("/auth/me", headers={"Cookie": f"{COOKIE}={key}"})
    assert copy.status == 401


@pytest.mark.parametrize(
    ("cookie", "record"),
    [
        pytest.param("k" * 43, None, id="unknown-key"),
        pytest.param("", None, id="empty-cookie"),
        pytest.param("changed", b"not json {", id="record-not-json"),
        pytest.param("changed", _record(**_live()).encode("utf-16"), id="record-not-utf-8"),
        pytest.param("changed", b"", id="record-empty"),
    ],
)
async def test_a_cookie_that_names_no_usable_record_is_no_session(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    redis_url: str,
    key_prefix: str,
    redis: aioredis.Redis,
    cookie: str,
    record: bytes | None,
) -> None:
    client = await gateway(_session_config(make_config, redis_url, key_prefix), user=None)
    if record is not None:
        await redis.set(f"{key_prefix}session:{cookie}", record, ex=TTL_S)
    sent = {"Cookie": f"{COOKIE}={cookie}"}
    me = await client.get("/auth/me", headers=sent)
    assert me.status == 401
    # A login with that cookie gets a session of a new key (no fixation), which works.
    login = await client.post(
        "/auth/login",
        json={"username": "editor", "password": USERS["editor"][0]},
        headers=sent,
    )
    assert login.status == 200
    key = _cookies(login)[COOKIE].value
    assert key != cookie
    assert (await client.get("/auth/me", headers={"Cookie": f"{COOKIE}={key}"})).status == 200


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_live(sid=None), id="no-session-id"),
        pytest.param(_live(exp=str(int(time.time()) + TTL_S)), id="expiry-not-a-number"),
        pytest.param(_live(exp=None), id="no-expiry"),
    ],
)
async def test_a_record_without_its_id_or_expiry_is_no_session(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    redis_url: str,
    key_prefix: str,
    redis: aioredis.Redis,
    data: dict[str, Any],
) -> None:
    client = await gateway(_session_config(make_config, redis_url, key_prefix), user=None)
    await redis.set(f"{key_prefix}session:the-key", _record(**data), ex=TTL_S)
    assert (await client.get("/auth/me", headers={"Cookie": f"{COOKIE}=the-key"})).status == 401


async def test_a_session_older_than_the_configured_life_is_over(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    redis_url: str,
    key_prefix: str,
    redis: aioredis.Redis,
) -> None:
    """A session started while ``session_ttl_s`` was longer ends when the current one says,
    whatever expiry it was started with."""
    client = await gateway(_session_config(make_config, redis_url, key_prefix), user=None)
    now = int(time.time())
    sent = {"Cookie": f"{COOKIE}=the-key"}
    for age, status in ((TTL_S - 60, 200), (TTL_S + 60, 401)):
        data = {"created": now - age, "session": _live(exp=now + 3 * TTL_S)}
        await redis.set(f"{key_prefix}session:the-key", json.dumps(data), ex=3 * TTL_S)
        assert (await client.get("/auth/me", headers=sent)).status == status, age


async def test_a_session_without_a_csrf_token_takes_no_token(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    redis_url: str,
    key_prefix: str,
    redis: aioredis.Redis,
) -> None:
    client = await gateway(_session_config(make_config, redis_url, key_prefix), user=None)
    await redis.set(f"{key_prefix}session:the-key", _record(**_live(csrf=None)), ex=TTL_S)
    sent = {"Cookie": f"{COOKIE}=the-key"}
    assert (await client.get("/auth/me", headers=sent)).status == 200
    for token in ("None", "null", "XXXX"):
        header = await client.post("/auth/logout", headers={**sent, "X-CSRF-Token": token})
        assert header.status == 403, token
        form = await client.post("/auth/logout", headers=sent, data={"csrf_token": token})
        assert form.status == 403, token
    assert (await client.get("/auth/me", headers=sent)).status == 200


async def test_an_unreachable_redis_counts_the_failed_session_load(
    gateway: GatewayFactory, make_config: ConfigFactory, tmp_path: Any, key_prefix: str
) -> None:
    url = f"unix://{tmp_path}/no-redis-here.sock"
    config = _session_config(make_config, url, key_prefix, metrics_token=METRICS_TOKEN)
    client = await gateway(config, user=None, wait_probed=False)
    me = await client.get("/auth/me", headers={"Cookie": f"{COOKIE}=some-session-key"})
    assert me.status == 503
    assert "session store is unreachable" in (await me.json())["detail"]
    after = await scrape(client, Authorization=f"Bearer {METRICS_TOKEN}")
    assert after.series("halgw_redis_errors_total") == [{"operation": "session_load"}]
    assert after.value("halgw_redis_errors_total", operation="session_load") == 1


async def test_a_redis_that_refuses_the_delete_fails_the_logout_and_counts_it(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    redis_url: str,
    key_prefix: str,
    redis: aioredis.Redis,
) -> None:
    """A Redis account without ``DEL`` (an ACL too tight): the session cannot end, and the
    logout says so (503) rather than answering as if it had."""
    user, password = f"gw-{uuid.uuid4().hex[:8]}", secrets.token_hex(16)
    await redis.acl_setuser(
        user,
        enabled=True,
        passwords=[f"+{password}"],
        keys=[f"{key_prefix}*"],
        categories=["+@all"],
        commands=["-del", "-unlink"],
    )
    try:
        url = redis_url.replace("unix://", f"unix://{user}:{password}@", 1)
        config = _session_config(make_config, url, key_prefix, metrics_token=METRICS_TOKEN)
        client = await gateway(config, user=None)
        key, csrf = await _login(client)
        logout = await client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
        assert logout.status == 503
        assert "session store is unreachable" in (await logout.json())["detail"]
        after = await scrape(client, Authorization=f"Bearer {METRICS_TOKEN}")
        assert after.series("halgw_redis_errors_total") == [{"operation": "session_save"}]
        assert after.value("halgw_redis_errors_total", operation="session_save") == 1
        assert await redis.exists(f"{key_prefix}session:{key}") == 1
    finally:
        await redis.acl_deluser(user)


@pytest.mark.parametrize(
    ("proto", "secure"),
    [pytest.param("https", True, id="https"), pytest.param("http", "", id="http")],
)
async def test_the_key_cookie_is_secure_when_a_trusted_proxy_says_the_client_came_over_https(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    redis_url: str,
    key_prefix: str,
    proto: str,
    secure: bool | str,
) -> None:
    config = _session_config(
        make_config, redis_url, key_prefix, trust_forwarded=True, allowed_hosts=["127.0.0.1"]
    )
    client = await gateway(config, user=None, headers={"X-Forwarded-Proto": proto})
    answer = await client.post(
        "/auth/login", json={"username": "editor", "password": USERS["editor"][0]}
    )
    assert answer.status == 200
    assert _cookies(answer)[COOKIE]["secure"] == secure
