"""The life cycle of a renewing upstream login, against a small token service on loopback.

The token service hands out bearer tokens for a password (``POST /login``), extends them
(``POST /extend``), ends them (``DELETE /session``) and tells whose token a call came
with (``GET /whoami``). It keeps no time of its own: the tests move the login's clock,
and :meth:`TokenService.forget` ends a token as an upstream would when it expires.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from gateway.config.schema import Secret
from gateway.state.base import LoginSlot
from gateway.state.memory_store import MemoryStore
from gateway.upstream.breaker import Breaker
from gateway.upstream.client import UpstreamClient
from gateway.upstream.logins import FAILURE_HOLD_S, LoginResult, RenewingLogin, UpstreamSession
from gateway.upstream.slots import CallSlots
from gateway.web.errors import BackendBusy, UpstreamLoginFailed, UpstreamUnavailable
from gateway.web.metrics import Metrics
from tests.support.clocks import FakeClock
from tests.support.scraped import Scrape

PASSWORD = "token-service-password"
KEY = "upstream:tokens:user:alice"


class SharedMemoryStore(MemoryStore):
    """A store that says other processes use it too, as Redis does."""

    shared = True


class LockWatchingStore(SharedMemoryStore):
    """A shared store that tells when a caller found a lock taken."""

    def __init__(self) -> None:
        super().__init__()
        self.lock_taken = asyncio.Event()

    async def put_new(self, key: str, value: dict[str, Any], ttl_s: float) -> bool:
        stored = await super().put_new(key, value, ttl_s)
        if not stored and key.startswith("lock:"):
            self.lock_taken.set()
        return stored


class TokenService:
    """A tiny upstream with bearer tokens, and what it has seen."""

    def __init__(self, life_s: float | None = 100.0) -> None:
        self.url = ""
        self.life_s = life_s
        self.refuse = False
        self.hold: asyncio.Event | None = None
        self.login_arrived = asyncio.Event()
        self.login_attempts = 0
        self.extensions = 0
        self.refused_calls = 0
        self.live: set[str] = set()
        self.ended: list[str] = []

    def forget(self, token: str) -> None:
        """End ``token`` without being asked, as an upstream does once it expires."""
        self.live.discard(token)

    def _bearer(self, request: web.Request) -> str | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return token if token in self.live else None

    def _life(self) -> dict[str, Any]:
        return {} if self.life_s is None else {"expires_in": self.life_s}

    async def login(self, request: web.Request) -> web.Response:
        self.login_attempts += 1
        self.login_arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        body = await request.json()
        if self.refuse or body.get("password") != PASSWORD:
            return web.json_response({"error": "wrong password"}, status=401)
        token = f"token-{self.login_attempts}"
        self.live.add(token)
        return web.json_response({"token": token, **self._life()})

    async def whoami(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if token is None:
            self.refused_calls += 1
            return web.json_response({"error": "no valid token"}, status=401)
        return web.json_response({"token": token})

    async def extend(self, request: web.Request) -> web.Response:
        if self._bearer(request) is None:
            return web.json_response({"error": "no valid token"}, status=401)
        self.extensions += 1
        return web.json_response(self._life())

    async def end(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if token is None:
            return web.json_response({"error": "no valid token"}, status=401)
        self.live.discard(token)
        self.ended.append(token)
        return web.Response(status=204)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/login", self.login)
        app.router.add_get("/whoami", self.whoami)
        app.router.add_post("/extend", self.extend)
        app.router.add_delete("/session", self.end)
        return app


class TokenLogin(RenewingLogin):
    """The token service's login; ``extends`` says whether it extends tokens."""

    flow = "token"

    def __init__(self, password: str = PASSWORD, *, extends: bool = False) -> None:
        super().__init__("tokens")
        self._password = Secret(password)
        self.extends = extends

    async def login(self, client: UpstreamClient) -> LoginResult:
        response = await client.request(
            "POST", "/login", json_body={"password": self._password.reveal()}, authenticate=False
        )
        doc = response.json_object()
        return LoginResult(
            {"Authorization": f"Bearer {doc['token']}"}, doc.get("expires_in"), {"end": "/session"}
        )

    async def extend(self, client: UpstreamClient, session: UpstreamSession) -> float | None:
        if not self.extends:
            return None
        response = await client.request(
            "POST", "/extend", headers=dict(session.headers), authenticate=False
        )
        life = response.json_object().get("expires_in")
        return float(life) if isinstance(life, int | float) else None

    async def end(self, client: UpstreamClient, session: UpstreamSession) -> None:
        await client.request(
            "DELETE",
            session.extras["end"],
            headers=dict(session.headers),
            authenticate=False,
            ok=(401,),
        )


Connect = Callable[[TokenLogin], Awaitable[UpstreamClient]]


@pytest.fixture
async def service(upstream: Callable[[web.Application], Awaitable[str]]) -> TokenService:
    """The token service, served on loopback."""
    found = TokenService()
    found.url = await upstream(found.app())
    return found


@pytest.fixture
async def connect(service: TokenService) -> AsyncIterator[Connect]:
    """Open an upstream client to the token service that logs in with ``login``."""
    clients: list[UpstreamClient] = []

    async def make(login: TokenLogin) -> UpstreamClient:
        client = UpstreamClient("tokens", timeout_s=5, retries=0, auth=login)
        await client.open(service.url)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def whoami(client: UpstreamClient) -> str:
    """The token the service saw the call come with."""
    token = (await client.request("GET", "/whoami")).json_object()["token"]
    assert isinstance(token, str)
    return token


def timed(login: TokenLogin, clock: FakeClock, store: MemoryStore | None = None) -> TokenLogin:
    """``login`` on ``clock``, kept in ``store`` (one on the same clock by default)."""
    login.clock = clock
    login.attach(LoginSlot(store or MemoryStore(clock), KEY))
    return login


@pytest.mark.parametrize(
    ("extends", "tokens"),
    [
        pytest.param(True, ["token-1", "token-1", "token-1"], id="extended"),
        pytest.param(False, ["token-1", "token-1", "token-2"], id="fresh-login"),
    ],
)
async def test_a_session_is_renewed_before_it_expires(
    service: TokenService, connect: Connect, extends: bool, tokens: list[str]
) -> None:
    clock = FakeClock()
    client = await connect(timed(TokenLogin(extends=extends), clock))
    seen = [await whoami(client)]
    clock.advance(79)  # 21 s of 100 left: not yet due
    seen.append(await whoami(client))
    clock.advance(2)  # 19 s left: less than a fifth, renewed before it is sent again
    seen.append(await whoami(client))
    assert seen == tokens
    assert service.extensions == (1 if extends else 0)
    assert service.refused_calls == 0  # never sent a token that had run out


async def test_a_long_session_is_renewed_a_minute_before_it_expires(
    service: TokenService, connect: Connect
) -> None:
    service.life_s = 900
    clock = FakeClock()
    client = await connect(timed(TokenLogin(), clock))
    await whoami(client)
    clock.advance(839)
    assert await whoami(client) == "token-1"
    clock.advance(2)
    assert await whoami(client) == "token-2"


async def test_the_store_keeps_a_session_until_it_expires(
    service: TokenService, connect: Connect
) -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    login = timed(TokenLogin(), clock, store)
    await whoami(await connect(login))
    assert await login.live() is True
    stored = await store.get(KEY)
    assert stored is not None
    assert stored["expires_at"] == pytest.approx(clock() + 100)
    clock.advance(100)
    assert await store.get(KEY) is None
    assert await login.live() is False


async def test_concurrent_callers_share_one_login(service: TokenService, connect: Connect) -> None:
    service.hold = asyncio.Event()
    client = await connect(TokenLogin())
    calls = [asyncio.create_task(whoami(client)) for _ in range(20)]
    try:
        await service.login_arrived.wait()
    finally:
        service.hold.set()
    assert await asyncio.gather(*calls) == ["token-1"] * 20
    assert service.login_attempts == 1


async def test_a_token_the_upstream_forgot_is_replaced_once(
    service: TokenService, connect: Connect
) -> None:
    client = await connect(TokenLogin())
    assert await whoami(client) == "token-1"
    service.forget("token-1")
    assert await asyncio.gather(*(whoami(client) for _ in range(10))) == ["token-2"] * 10
    assert service.login_attempts == 2


async def test_a_refused_login_answers_for_itself_for_a_few_seconds(
    service: TokenService, connect: Connect
) -> None:
    clock = FakeClock()
    client = await connect(timed(TokenLogin(password="not-the-password"), clock))
    answers = await asyncio.gather(*(whoami(client) for _ in range(10)), return_exceptions=True)
    assert all(isinstance(a, UpstreamLoginFailed) for a in answers), answers
    failed = answers[0]
    assert isinstance(failed, UpstreamLoginFailed)
    assert failed.detail == "backend tokens refused the gateway's token login"
    assert failed.upstream_status == 401
    assert "not-the-password" not in repr(client.auth)
    clock.advance(FAILURE_HOLD_S - 1)
    with pytest.raises(UpstreamLoginFailed):
        await whoami(client)
    assert service.login_attempts == 1
    clock.advance(1)
    with pytest.raises(UpstreamLoginFailed):
        await whoami(client)
    assert service.login_attempts == 2


async def test_a_login_that_works_again_is_taken_once_the_hold_is_over(
    service: TokenService, connect: Connect
) -> None:
    clock = FakeClock()
    service.refuse = True
    client = await connect(timed(TokenLogin(), clock))
    with pytest.raises(UpstreamLoginFailed):
        await whoami(client)
    service.refuse = False  # the account was unlocked
    with pytest.raises(UpstreamLoginFailed):
        await whoami(client)
    clock.advance(FAILURE_HOLD_S)
    assert await whoami(client) == "token-2"


async def test_logout_ends_the_session_and_the_next_call_logs_in_again(
    service: TokenService, connect: Connect
) -> None:
    login = TokenLogin()
    client = await connect(login)
    assert await whoami(client) == "token-1"
    await login.logout(client)
    assert service.ended == ["token-1"]
    assert await login.live() is False
    assert await whoami(client) == "token-2"
    assert await login.live() is True


async def test_a_logout_without_a_session_asks_nothing_upstream(
    service: TokenService, connect: Connect
) -> None:
    login = TokenLogin()
    client = await connect(login)
    await login.logout(client)
    assert (service.login_attempts, service.ended) == (0, [])


async def test_a_second_instance_on_the_same_slot_uses_the_same_session(
    service: TokenService, connect: Connect
) -> None:
    store = MemoryStore()
    here, there = TokenLogin(), TokenLogin()
    for login in (here, there):
        login.attach(LoginSlot(store, KEY))
    near, far = await connect(here), await connect(there)
    assert await whoami(near) == "token-1"
    assert await there.live() is True
    assert await whoami(far) == "token-1"
    assert service.login_attempts == 1

    service.forget("token-1")  # refused over there: one new login, taken here too
    assert await whoami(far) == "token-2"
    assert await whoami(near) == "token-2"
    assert service.login_attempts == 2

    await here.logout(near)  # a logout here ends it over there as well
    assert service.ended == ["token-2"]
    assert await there.live() is False
    assert await whoami(far) == "token-3"


async def test_two_processes_sharing_the_store_log_in_once(
    service: TokenService, connect: Connect
) -> None:
    store = LockWatchingStore()
    here, there = TokenLogin(), TokenLogin()  # as in two processes: a lock of their own each
    for login in (here, there):
        login.attach(LoginSlot(store, KEY))
    near, far = await connect(here), await connect(there)
    service.hold = asyncio.Event()
    first = asyncio.create_task(whoami(near))
    try:
        await asyncio.wait_for(service.login_arrived.wait(), 5)
        service.login_arrived.clear()
        second = asyncio.create_task(whoami(far))
        # The second process waits for the first one's login, or (wrongly) logs in too.
        waits = [asyncio.create_task(e.wait()) for e in (store.lock_taken, service.login_arrived)]
        await asyncio.wait(waits, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()
    finally:
        service.hold.set()
    assert [await first, await second] == ["token-1", "token-1"]
    assert service.login_attempts == 1


async def test_a_login_another_process_holds_too_long_answers_503_and_sends_nothing(
    service: TokenService, connect: Connect
) -> None:
    store = SharedMemoryStore()
    slow, hurried = TokenLogin(), TokenLogin()
    for login in (slow, hurried):
        login.attach(LoginSlot(store, KEY))
    service.hold = asyncio.Event()
    held = asyncio.create_task(whoami(await connect(slow)))
    breaker = Breaker("tokens", failures=1)
    client = UpstreamClient("tokens", timeout_s=0.2, retries=0, auth=hurried, breaker=breaker)
    await client.open(service.url)
    try:
        await asyncio.wait_for(service.login_arrived.wait(), 5)
        # Busy, not down: a 503 to retry shortly, and no failure of the upstream's.
        with pytest.raises(BackendBusy) as raised:
            await whoami(client)
        assert (raised.value.http_status, raised.value.problem_code) == (503, "backend-busy")
        assert raised.value.headers["Retry-After"] == "1"
        assert raised.value.detail == (
            "backend tokens: another gateway process is logging in there and did not finish "
            "within 0.2 s; try again shortly"
        )
        assert breaker.state == "closed"
        assert service.login_attempts == 1
        service.hold.set()
        assert await held == "token-1"
        assert await whoami(client) == "token-1"  # the other process's login, once it is in
        assert service.login_attempts == 1
    finally:
        service.hold.set()
        await client.close()


def _logins(metrics: Metrics) -> tuple[float, float]:
    """Upstream logins tried, and failed, as a scraper reads them."""
    scraped = Scrape.parse(metrics.render().decode())
    return (
        scraped.value("halgw_upstream_logins_total", backend="tokens"),
        scraped.value("halgw_upstream_login_failures_total", backend="tokens"),
    )


async def test_a_login_the_call_cap_refuses_is_no_login_tried(service: TokenService) -> None:
    metrics, slots = Metrics(), CallSlots("tokens", 1, queue_s=0.01)
    client = UpstreamClient(
        "tokens",
        timeout_s=5,
        retries=0,
        auth=TokenLogin(),
        slots=slots,
        metrics=metrics.upstream("tokens"),
    )
    await client.open(service.url)
    try:
        async with slots.held():  # another call has the backend's one slot
            with pytest.raises(BackendBusy):
                await whoami(client)
        assert (service.login_attempts, _logins(metrics)) == (0, (0, 0))
        assert await whoami(client) == "token-1"
        assert _logins(metrics) == (1, 0)
    finally:
        await client.close()


async def test_a_login_the_open_breaker_refuses_is_no_login_tried(unused_tcp_port: int) -> None:
    metrics = Metrics()
    client = UpstreamClient(
        "tokens",
        timeout_s=5,
        retries=0,
        auth=TokenLogin(),
        breaker=Breaker("tokens", failures=1),
        metrics=metrics.upstream("tokens"),
    )
    await client.open(f"http://127.0.0.1:{unused_tcp_port}")
    try:
        # One login fails to connect and opens the breaker; the call that waited for it
        # is refused before its own login is sent.
        answers = await asyncio.gather(whoami(client), whoami(client), return_exceptions=True)
        assert sorted(type(a).__name__ for a in answers) == ["BackendOpen", "UpstreamUnavailable"]
        assert _logins(metrics) == (1, 1)
    finally:
        await client.close()


async def test_shutdown_ends_a_session_nobody_else_shares(
    service: TokenService, connect: Connect
) -> None:
    login = TokenLogin()
    client = await connect(login)
    await whoami(client)
    await login.close(client)
    assert service.ended == ["token-1"]
    with pytest.raises(UpstreamUnavailable, match="shutting down"):
        await whoami(client)
    assert service.login_attempts == 1


async def test_shutdown_leaves_a_shared_session_to_the_other_processes(
    service: TokenService, connect: Connect
) -> None:
    store = SharedMemoryStore()
    leaving, staying = TokenLogin(), TokenLogin()
    for login in (leaving, staying):
        login.attach(LoginSlot(store, KEY))
    gone, kept = await connect(leaving), await connect(staying)
    assert await whoami(gone) == "token-1"
    await leaving.close(gone)
    assert service.ended == []
    assert await whoami(kept) == "token-1"
    assert service.login_attempts == 1


async def test_neither_the_login_nor_its_session_shows_the_credentials(
    service: TokenService, connect: Connect
) -> None:
    store = MemoryStore()
    login = TokenLogin()
    login.attach(LoginSlot(store, KEY))
    await whoami(await connect(login))
    session = UpstreamSession.from_json(await store.get(KEY))
    assert session is not None
    assert session.headers == {"Authorization": "Bearer token-1"}
    for text in (repr(login), repr(session), repr(vars(login))):
        assert "token-1" not in text
        assert PASSWORD not in text


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param({"headers": {}}, id="no-headers"),
        pytest.param({"headers": {"Authorization": 1}}, id="header-not-text"),
        pytest.param({"headers": {"A": "b"}, "expires_at": "soon"}, id="time-not-a-number"),
        pytest.param({"headers": {"A": "b"}, "extras": []}, id="extras-not-a-table"),
    ],
)
async def test_a_stored_value_that_is_no_session_means_a_new_login(
    service: TokenService, connect: Connect, stored: dict[str, Any]
) -> None:
    store = MemoryStore()
    await store.put(KEY, stored, 60)
    login = TokenLogin()
    login.attach(LoginSlot(store, KEY))
    assert await whoami(await connect(login)) == "token-1"
