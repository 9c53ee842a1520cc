"""The circuit breaker of one backend: its states, and what counts as a failure.

The state machine runs on a clock the tests move by hand; the client's part against
small upstreams on loopback sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from gateway.upstream.breaker import Breaker
from gateway.upstream.client import UpstreamClient
from gateway.upstream.slots import CallSlots
from gateway.web.errors import (
    BackendBusy,
    BackendOpen,
    UpstreamStatusError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tests.support.clocks import FakeClock

Serve = Callable[[web.Application], Awaitable[str]]


def _breaker(failures: int = 3, open_s: float = 5.0) -> tuple[Breaker, FakeClock]:
    clock = FakeClock(1000.0)
    return Breaker("mam", failures=failures, open_s=open_s, clock=clock), clock


def _state(breaker: Breaker) -> str:
    return breaker.state  # read anew each time: it changes under the test's feet


def _fail(breaker: Breaker, times: int = 1) -> None:
    for _ in range(times):
        breaker.failed(breaker.admit())


# -- the state machine -------------------------------------------------------------------


def test_failures_in_a_row_open_it_and_calls_are_refused_until_the_trial_time() -> None:
    breaker, clock = _breaker(failures=3, open_s=5.0)
    _fail(breaker, 2)
    assert _state(breaker) == "closed"
    breaker.check()  # still let through
    _fail(breaker)
    assert _state(breaker) == "open"
    assert breaker.opened == 1
    with pytest.raises(BackendOpen) as refused:
        breaker.check()
    assert refused.value.http_status == 503
    assert refused.value.problem_code == "backend-unavailable"
    assert refused.value.headers["Retry-After"] == "5"
    assert refused.value.extra["backend"] == "mam"
    clock.advance(3.2)
    with pytest.raises(BackendOpen) as refused:
        breaker.admit()
    assert refused.value.headers["Retry-After"] == "2"  # what is left, rounded up
    clock.advance(1.8)
    assert _state(breaker) == "half-open"


def test_a_success_between_failures_starts_the_count_again() -> None:
    breaker, _ = _breaker(failures=3)
    _fail(breaker, 2)
    breaker.succeeded(breaker.admit())
    _fail(breaker, 2)
    assert _state(breaker) == "closed"
    _fail(breaker)
    assert _state(breaker) == "open"


def test_half_open_lets_one_trial_through_and_its_success_closes_it() -> None:
    breaker, clock = _breaker(failures=1, open_s=5.0)
    _fail(breaker)
    clock.advance(5.0)
    trial = breaker.admit()
    assert trial.trial
    # While the trial is under way the others are still refused, and told to come back soon.
    with pytest.raises(BackendOpen) as refused:
        breaker.check()
    assert refused.value.headers["Retry-After"] == "5"
    with pytest.raises(BackendOpen):
        breaker.admit()
    breaker.succeeded(trial)
    assert _state(breaker) == "closed"
    assert not breaker.admit().trial


def test_a_failed_trial_opens_it_for_another_period() -> None:
    breaker, clock = _breaker(failures=1, open_s=5.0)
    _fail(breaker)
    clock.advance(6.0)
    breaker.failed(breaker.admit())
    assert _state(breaker) == "open"
    assert breaker.opened == 2
    clock.advance(4.9)
    assert _state(breaker) == "open"
    clock.advance(0.1)
    assert _state(breaker) == "half-open"


def test_a_trial_that_ended_without_an_outcome_frees_its_place() -> None:
    breaker, clock = _breaker(failures=1)
    _fail(breaker)
    clock.advance(5.0)
    breaker.abandoned(breaker.admit())  # the caller went away
    assert _state(breaker) == "half-open"
    assert breaker.admit().trial


def test_a_trial_that_does_not_answer_within_open_s_lets_another_one_try() -> None:
    breaker, clock = _breaker(failures=1, open_s=5.0)
    _fail(breaker)
    clock.advance(5.0)
    breaker.admit()  # a long upload, say
    clock.advance(4.0)
    with pytest.raises(BackendOpen):
        breaker.admit()
    clock.advance(1.0)
    second = breaker.admit()
    assert second.trial
    breaker.succeeded(second)
    assert _state(breaker) == "closed"


def test_outcomes_of_calls_let_through_before_it_opened_are_ignored() -> None:
    breaker, clock = _breaker(failures=2)
    slow = breaker.admit()
    _fail(breaker, 2)
    breaker.succeeded(slow)  # an answer that left the upstream before the failures
    assert _state(breaker) == "open"
    clock.advance(5.0)
    trial = breaker.admit()
    breaker.failed(slow)  # nor does an old failure end the trial
    assert _state(breaker) == "half-open"
    breaker.succeeded(trial)
    assert _state(breaker) == "closed"


def test_an_exchange_is_judged_once() -> None:
    breaker, _ = _breaker(failures=2)
    failed = breaker.admit()
    breaker.failed(failed)
    breaker.failed(failed)  # its body broke off too
    breaker.succeeded(failed)
    assert _state(breaker) == "closed"
    _fail(breaker)  # the second failure in a row: the late success did not reset the count
    assert _state(breaker) == "open"


def test_zero_failures_turns_it_off() -> None:
    breaker, _ = _breaker(failures=0)
    _fail(breaker, 100)
    assert _state(breaker) == "closed"
    breaker.check()


# -- what the client counts ---------------------------------------------------------------


def _answering(status: int) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        return web.json_response({"error": "as told"}, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def _client(url: str, breaker: Breaker, slots: CallSlots | None = None) -> UpstreamClient:
    client = UpstreamClient("mam", timeout_s=5, retries=0, breaker=breaker, slots=slots)
    await client.open(url)
    return client


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        pytest.param(500, True, id="500"),
        pytest.param(502, True, id="502"),
        pytest.param(503, True, id="503"),
        pytest.param(504, True, id="504"),
        pytest.param(501, False, id="501-not-implemented"),
        pytest.param(404, False, id="404"),
        pytest.param(401, False, id="401"),
        pytest.param(400, False, id="400"),
        pytest.param(429, False, id="429"),
    ],
)
async def test_upstream_5xx_answers_count_and_4xx_do_not(
    upstream: Serve, status: int, counts: bool
) -> None:
    breaker, _ = _breaker(failures=1)
    client = await _client(await upstream(_answering(status)), breaker)
    try:
        with pytest.raises(UpstreamStatusError):
            await client.request("GET", "/thing")
        assert _state(breaker) == ("open" if counts else "closed")
    finally:
        await client.close()


async def test_a_refused_connection_counts_and_an_open_breaker_sends_nothing(
    upstream: Serve, unused_tcp_port: int
) -> None:
    breaker, clock = _breaker(failures=2, open_s=5.0)
    client = await _client(f"http://127.0.0.1:{unused_tcp_port}", breaker)
    try:
        for _ in range(2):
            with pytest.raises(UpstreamUnavailable):
                await client.request("GET", "/thing")
        assert _state(breaker) == "open"
        # The upstream is back on another address; the open breaker keeps calls from it.
        calls: list[str] = []

        async def handle(request: web.Request) -> web.Response:
            calls.append(request.path)
            return web.json_response({"ok": True})

        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        client.base_url = await upstream(app)
        for method in ("GET", "POST"):
            with pytest.raises(BackendOpen):
                await client.request(method, "/thing")
        with pytest.raises(BackendOpen):
            async with client.stream("GET", "/media", transfer=True):
                pass
        assert calls == []
        clock.advance(5.0)
        assert (await client.request("GET", "/thing")).status == 200
        assert _state(breaker) == "closed"
        assert calls == ["/thing"]
    finally:
        await client.close()


async def test_a_timeout_counts(upstream: Serve) -> None:
    never = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()

    app = web.Application()
    app.router.add_get("/{tail:.*}", hang)
    breaker, _ = _breaker(failures=1)
    client = UpstreamClient("mam", timeout_s=0.1, retries=0, breaker=breaker)
    await client.open(await upstream(app))
    try:
        with pytest.raises(UpstreamTimeout):
            await client.request("GET", "/slow")
        assert _state(breaker) == "open"
    finally:
        never.set()
        await client.close()


@pytest.fixture
async def cut_body() -> AsyncIterator[Callable[[int], Awaitable[str]]]:
    """An upstream that sends a head of the given status, a tenth of its body, then hangs up."""
    servers: list[asyncio.Server] = []

    async def serve(status: int) -> str:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                f"HTTP/1.1 {status} As Told\r\nContent-Type: application/json\r\n"
                "Content-Length: 100\r\n\r\n".encode()
                + b'{"error": '
            )
            await writer.drain()
            writer.close()
            await writer.wait_closed()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield serve
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("status", [pytest.param(502, id="502"), pytest.param(200, id="200")])
async def test_an_answer_whose_body_breaks_off_is_one_failure(
    cut_body: Callable[[int], Awaitable[str]], status: int
) -> None:
    breaker, _ = _breaker(failures=2)
    client = await _client(await cut_body(status), breaker)
    try:
        with pytest.raises(UpstreamUnavailable):
            await client.request("GET", "/thing")
        assert _state(breaker) == "closed"  # one failure of two
        with pytest.raises(UpstreamUnavailable):
            await client.request("GET", "/thing")
        assert _state(breaker) == "open"
    finally:
        await client.close()


async def test_a_trial_whose_body_breaks_off_opens_it_again(
    cut_body: Callable[[int], Awaitable[str]],
) -> None:
    breaker, clock = _breaker(failures=3, open_s=5.0)
    client = await _client(await cut_body(200), breaker)
    try:
        _fail(breaker, 3)
        clock.advance(5.0)
        with pytest.raises(UpstreamUnavailable):
            await client.request("GET", "/thing")  # the trial: a good head, a broken body
        assert _state(breaker) == "open"
        assert breaker.opened == 2
    finally:
        await client.close()


async def test_a_full_call_cap_and_a_cancelled_call_do_not_count(upstream: Serve) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def held(request: web.Request) -> web.Response:
        arrived.set()
        await release.wait()
        return web.json_response({}, status=404)

    app = web.Application()
    app.router.add_get("/{tail:.*}", held)
    breaker, clock = _breaker(failures=1, open_s=5.0)
    client = await _client(await upstream(app), breaker, slots=CallSlots("mam", 1, queue_s=0.01))
    try:
        first = asyncio.create_task(client.request("GET", "/held", ok=[404]))
        await arrived.wait()
        with pytest.raises(BackendBusy):
            await client.request("GET", "/other", ok=[404])
        assert _state(breaker) == "closed"
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert _state(breaker) == "closed"

        # A cancelled trial leaves the next call free to be the trial.
        breaker.failed(breaker.admit())
        clock.advance(5.0)
        arrived.clear()
        trial = asyncio.create_task(client.request("GET", "/held", ok=[404]))
        await arrived.wait()
        with pytest.raises(BackendOpen):
            await client.request("GET", "/other", ok=[404])
        trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await trial
        release.set()
        assert (await client.request("GET", "/other", ok=[404])).status == 404
        assert _state(breaker) == "closed"
    finally:
        release.set()
        await client.close()


async def test_a_client_without_a_breaker_never_refuses(unused_tcp_port: int) -> None:
    client = UpstreamClient("mam", timeout_s=5, retries=0)
    await client.open(f"http://127.0.0.1:{unused_tcp_port}")
    try:
        for _ in range(10):
            with pytest.raises(UpstreamUnavailable):
                await client.request("GET", "/thing")
        assert _state(client.breaker) == "closed"
    finally:
        await client.close()
