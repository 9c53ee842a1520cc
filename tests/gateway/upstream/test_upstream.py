"""The upstream client against real loopback servers: retries, timeouts, logins, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence

import pytest
from aiohttp import web

from gateway.upstream.auth import UpstreamAuth
from gateway.upstream.client import UpstreamClient
from gateway.web.errors import UpstreamStatusError, UpstreamTimeout, UpstreamUnavailable

Serve = Callable[[web.Application], Awaitable[str]]


class Counter:
    """An upstream that answers the statuses it is given, in turn, and counts calls."""

    def __init__(self, *statuses: int, body: bytes = b"{}") -> None:
        self.statuses = list(statuses)
        self.body = body
        self.calls: list[str] = []
        self.headers: list[Mapping[str, str]] = []

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            self.calls.append(request.method)
            self.headers.append(dict(request.headers))
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            return web.Response(status=status, body=self.body, content_type="application/json")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app


async def open_client(
    url: str,
    *,
    timeout_s: float = 5.0,
    retries: int = 2,
    auth: UpstreamAuth | None = None,
    secrets: Sequence[str] = (),
) -> UpstreamClient:
    client = UpstreamClient("up", timeout_s=timeout_s, retries=retries, auth=auth, secrets=secrets)
    client.retry.base_delay_s = 0.001
    await client.open(url)
    return client


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_idempotent_calls_are_retried_on_transient_statuses(
    upstream: Serve, method: str
) -> None:
    fake = Counter(503, 502, 200)
    client = await open_client(await upstream(fake.app()))
    response = await client.request(method, "/x")
    assert response.status == 200
    assert fake.calls == [method] * 3
    await client.close()


async def test_post_is_never_retried(upstream: Serve) -> None:
    fake = Counter(503, 200)
    client = await open_client(await upstream(fake.app()))
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request("POST", "/x", json_body={})
    assert caught.value.http_status == 503
    assert fake.calls == ["POST"]
    await client.close()


async def test_retries_give_up_after_the_configured_count(upstream: Serve) -> None:
    fake = Counter(503)
    client = await open_client(await upstream(fake.app()), retries=1)
    with pytest.raises(UpstreamStatusError):
        await client.request("GET", "/x")
    assert len(fake.calls) == 2
    await client.close()


async def test_connection_refused_is_503_without_the_address(unused_tcp_port: int) -> None:
    client = await open_client(f"http://127.0.0.1:{unused_tcp_port}", retries=0)
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.request("GET", "/x")
    assert caught.value.http_status == 503
    assert str(unused_tcp_port) not in caught.value.detail
    await client.close()


async def test_slow_upstream_is_a_408_timeout(upstream: Serve) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    app = web.Application()
    app.router.add_get("/slow", slow)
    client = await open_client(await upstream(app), timeout_s=0.05, retries=0)
    with pytest.raises(UpstreamTimeout) as caught:
        await client.request("GET", "/slow")
    release.set()
    assert caught.value.http_status == 408
    await client.close()


class Relogin(UpstreamAuth):
    def __init__(self) -> None:
        self.token = 1
        self.invalidated = 0

    async def headers(self, client: UpstreamClient) -> Mapping[str, str]:
        return {"Authorization": f"Bearer t{self.token}"}

    async def invalidate(self) -> None:
        self.invalidated += 1
        self.token += 1


async def test_a_401_logs_in_again_once(upstream: Serve) -> None:
    fake = Counter(401, 200)
    auth = Relogin()
    client = await open_client(await upstream(fake.app()), auth=auth)
    assert (await client.request("GET", "/x")).status == 200
    assert [h["Authorization"] for h in fake.headers] == ["Bearer t1", "Bearer t2"]
    assert auth.invalidated == 1
    await client.close()


async def test_a_second_401_is_passed_on(upstream: Serve) -> None:
    fake = Counter(401)
    client = await open_client(await upstream(fake.app()), auth=Relogin())
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request("GET", "/x")
    assert caught.value.http_status == 403  # the client's gateway login is not the problem
    assert caught.value.upstream_status == 401
    assert len(fake.calls) == 2
    await client.close()


async def test_upstream_messages_are_carried_and_cleaned_of_secrets(upstream: Serve) -> None:
    body = b'{"errors": ["Title can\'t be blank", "token s3cr3t-key is invalid"]}'
    fake = Counter(422, body=body)
    url = await upstream(fake.app())
    client = await open_client(url, secrets=["s3cr3t-key"])
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request("POST", "/x", json_body={})
    error = caught.value
    assert error.http_status == 400
    assert error.upstream_status == 422
    assert error.errors == ["Title can't be blank", "token *** is invalid"]
    assert error.extra == {"backend": "up", "upstream_status": 422, "errors": error.errors}
    await client.close()


async def test_statuses_listed_as_ok_are_returned(upstream: Serve) -> None:
    fake = Counter(404)
    client = await open_client(await upstream(fake.app()))
    assert (await client.request("GET", "/x", ok=[404])).status == 404
    await client.close()


async def test_credentials_go_only_to_the_backends_own_origin(upstream: Serve) -> None:
    own, other = Counter(200), Counter(200)
    own_url = await upstream(own.app())
    other_url = await upstream(other.app())
    client = await open_client(own_url, auth=Relogin())
    await client.request("GET", "/x")
    await client.request("GET", other_url + "/elsewhere")
    assert own.headers[0]["Authorization"] == "Bearer t1"
    assert "Authorization" not in other.headers[0]
    await client.close()


@pytest.mark.parametrize(
    ("secret", "text", "expected"),
    [
        pytest.param("s3cr3t-key-long", "bad s3cr3t-key-longer", "bad ***er", id="long-anywhere"),
        pytest.param("p", "Group p with id 1", "Group *** with id 1", id="short-as-token"),
        pytest.param("p", "Group with id 1", "Group with id 1", id="short-not-in-words"),
        pytest.param("pw1", "login=pw1&x", "login=***&x", id="short-in-query"),
    ],
)
def test_secrets_are_masked_in_upstream_messages(secret: str, text: str, expected: str) -> None:
    client = UpstreamClient("up", timeout_s=1, retries=0, secrets=[secret])
    assert client.scrub(text) == expected


async def test_a_cookie_one_answer_sets_never_goes_out_with_a_later_request(
    upstream: Serve,
) -> None:
    """One pool serves every identity: no jar may carry one user's cookie to another's call."""
    seen: list[str] = []

    async def set_cookie(request: web.Request) -> web.Response:
        response = web.Response(text="hi")
        response.set_cookie("avidAccessToken", "alices-token")
        return response

    async def echo(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie", ""))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/login", set_cookie)
    app.router.add_get("/work", echo)
    client = await open_client(await upstream(app))
    await client.request("GET", "/login")
    await client.request("GET", "/work")
    await client.request("GET", "/work", headers={"Cookie": "avidAccessToken=bobs-token"})
    assert seen == ["", "avidAccessToken=bobs-token"]
    await client.close()
