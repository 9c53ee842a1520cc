"""Sessions in Redis: two gateway processes share logins, tokens, revocations, throttling.

Everything runs for real: a redis-server (the suite's, on a Unix socket) and two
``hal-gateway serve`` processes on their own ports, talked to over HTTP.
"""

from __future__ import annotations

import json
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest
import redis.asyncio as aioredis

from gateway.auth.passwords import hash_password
from gateway.state.redis_store import RedisStore
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import CHEAP
from tests.support.processes import Started, start

PASSWORD = "a-redis-shared-password"
SIGNING_KEY = "shared-signing-key-for-both-gateways"
FLEX_PASSWORD = "flex-shared-password"


def _config(tmp_path: Path, redis_url: str, key_prefix: str, server: str = "") -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(
        f"""
[server]
port = 0
{server}
[auth]
signing_key = "{SIGNING_KEY}"
login_attempts = 3
[[auth.users]]
name = "maria"
password_hash = "{hash_password(PASSWORD, CHEAP)}"
roles = ["editor"]
[session]
store = "redis"
redis_url = "{redis_url}"
key_prefix = "{key_prefix}"
[backends.mam]
kind = "flex"
url = "simulator"
username = "flexadmin"
password = "{FLEX_PASSWORD}"
"""
    )
    return path


class Browser:
    """A urllib client with a cookie jar, as a script would use the gateway."""

    def __init__(self) -> None:
        self.cookies = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.cookies))

    def call(
        self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        data = None
        sent = dict(headers or {})
        if isinstance(body, dict) and sent.get("Content-Type") == "form":
            data = urlencode(body).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        request = Request(url, data=data, headers=sent, method=method)
        try:
            with self.opener.open(request, timeout=15) as response:
                raw = response.read()
                status, answer_headers = response.status, dict(response.headers)
        except HTTPError as exc:
            raw, status, answer_headers = exc.read(), exc.code, dict(exc.headers)
            exc.close()
        return status, json.loads(raw) if raw else None, answer_headers


@pytest.fixture
def two_gateways(
    tmp_path: Path, redis_url: str, key_prefix: str, process: Started
) -> tuple[str, str, list[Path]]:
    config = _config(tmp_path, redis_url, key_prefix)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    _, first = start(process, "serve", "--config", str(config), log=logs[0])
    _, second = start(process, "serve", "--config", str(config), log=logs[1])
    return first, second, logs


def test_a_session_started_on_one_process_works_on_the_other(
    two_gateways: tuple[str, str, list[Path]],
) -> None:
    first, second, logs = two_gateways
    browser = Browser()
    status, login, _ = browser.call(
        "POST", first + "auth/login", {"username": "maria", "password": PASSWORD}
    )
    assert status == 200, login
    assert [c.name for c in browser.cookies] == ["halgw_session"]
    status, me, _ = browser.call("GET", second + "auth/me")
    assert (status, me["name"], me["via"]) == (200, "maria", "session")
    status, root, _ = browser.call("GET", second, headers={"Accept": "application/hal+json"})
    assert [link["name"] for link in root["_links"]["gw:backend"]] == ["mam"]
    # The CSRF token of the login on the first process opens unsafe requests on the second.
    status, _, _ = browser.call(
        "POST", second + "auth/logout", headers={"X-CSRF-Token": login["csrf_token"]}
    )
    assert status == 204
    status, _, _ = browser.call("GET", first + "auth/me")
    assert status == 401  # the session is gone from Redis for both
    for log in logs:
        text = log.read_text()
        for secret in (PASSWORD, SIGNING_KEY, FLEX_PASSWORD, login["csrf_token"]):
            assert secret not in text


def test_tokens_and_their_revocation_are_shared(
    two_gateways: tuple[str, str, list[Path]],
) -> None:
    first, second, _ = two_gateways
    client = Browser()
    status, token, _ = client.call(
        "POST",
        first + "auth/token",
        {"grant_type": "password", "username": "maria", "password": PASSWORD},
        headers={"Content-Type": "form"},
    )
    assert status == 200, token
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.call("GET", second + "auth/me", headers=bearer)[0] == 200
    assert client.call("POST", second + "auth/logout", headers=bearer)[0] == 204
    status, problem, _ = client.call("GET", first + "auth/me", headers=bearer)
    assert status == 401
    assert "revoked" in problem["detail"]


def test_failed_logins_count_across_processes(
    two_gateways: tuple[str, str, list[Path]],
) -> None:
    first, second, _ = two_gateways
    browser = Browser()
    for url in (first, second, first):
        status, _, _ = browser.call(
            "POST", url + "auth/login", {"username": "maria", "password": "wrong-guess"}
        )
        assert status == 401
    status, problem, headers = browser.call(
        "POST", second + "auth/login", {"username": "maria", "password": PASSWORD}
    )
    assert status == 429
    assert int(headers["Retry-After"]) > 0
    assert problem["code"] == "too-many-requests"


def test_one_rate_limit_bucket_serves_every_process(
    tmp_path: Path, redis_url: str, key_prefix: str, process: Started
) -> None:
    config = _config(
        tmp_path, redis_url, key_prefix, "rate_limit_burst = 4\nrate_limit_per_s = 0.01"
    )
    urls = [
        start(process, "serve", "--config", str(config), log=tmp_path / f"{n}.log")[1] for n in "ab"
    ]
    client = Browser()
    status, token, _ = client.call(
        "POST",
        urls[0] + "auth/token",
        {"grant_type": "password", "username": "maria", "password": PASSWORD},
        headers={"Content-Type": "form"},
    )
    assert status == 200, token
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    remaining = []
    for url in (urls[0], urls[1], urls[0], urls[1]):
        status, _, headers = client.call("GET", url + "auth/me", headers=bearer)
        assert status == 200
        remaining.append(headers["RateLimit"].split(";")[1])
    assert remaining == ["r=3", "r=2", "r=1", "r=0"]
    status, problem, headers = client.call("GET", urls[0] + "auth/me", headers=bearer)
    assert (status, problem["code"]) == (429, "rate-limited")
    assert int(headers["Retry-After"]) >= 99  # a token comes back every 100 s


async def test_an_unreachable_redis_is_a_503_problem_without_its_address(
    gateway: GatewayFactory, make_config: ConfigFactory, tmp_path: Path
) -> None:
    url = f"unix://{tmp_path}/nothing-listens-here.sock"
    config = make_config(session={"store": "redis", "redis_url": url})
    client = await gateway(config, user=None, wait_probed=False)
    login = await client.post("/auth/login", json={"username": "editor", "password": "x" * 9})
    assert login.status == 503
    body = await login.json()
    assert "session store is unreachable" in body["detail"]
    assert "nothing-listens-here" not in json.dumps(body)
    client.session.cookie_jar.update_cookies({"halgw_session": "some-session-key"})
    assert (await client.get("/auth/me")).status == 503


async def test_the_redis_store_keeps_values_and_windows_under_its_prefix(
    redis_url: str, key_prefix: str
) -> None:
    client = aioredis.from_url(redis_url)
    store = RedisStore(client, key_prefix)
    other = RedisStore(aioredis.from_url(redis_url), key_prefix + "other:")
    try:
        await store.put("login", {"headers": {"Cookie": "x"}}, 60)
        assert await store.get("login") == {"headers": {"Cookie": "x"}}
        assert await other.get("login") is None
        assert 0 < await client.pttl(key_prefix + "login") <= 60_000
        await store.delete("login")
        assert await store.get("login") is None
        assert len(await store.window("w", 60, add=True)) == 1
        assert len(await store.window("w", 60, add=True)) == 2
        assert len(await store.window("w", 60)) == 2
        assert await other.window("w", 60) == []
        assert "redis" not in repr(store).split("(")[1]  # no URL, no password
    finally:
        await store.close()
        await other.close()


async def test_gateways_with_other_key_prefixes_share_nothing(
    gateway: GatewayFactory, make_config: ConfigFactory, redis_url: str, key_prefix: str
) -> None:
    def config(prefix: str) -> Any:
        return make_config(session={"store": "redis", "redis_url": redis_url, "key_prefix": prefix})

    first = await gateway(config(key_prefix + "a:"), user=None)
    second = await gateway(config(key_prefix + "b:"), user=None)
    login = await first.post(
        "/auth/login", json={"username": "editor", "password": "editor-password"}
    )
    assert login.status == 200
    cookie = login.cookies["halgw_session"].value
    second.session.cookie_jar.update_cookies({"halgw_session": cookie})
    assert (await second.get("/auth/me")).status == 401
    redis = aioredis.from_url(redis_url)
    try:
        keys = [k.decode() async for k in redis.scan_iter(key_prefix + "*")]
    finally:
        await redis.aclose()
    assert f"{key_prefix}a:session:{cookie}" in keys
    assert all(k.startswith(key_prefix + "a:") for k in keys)
