"""Factory fixtures shared by the whole suite.

Everything HTTP goes through real sockets on loopback: the gateway through
``aiohttp_client`` (a real server on an ephemeral port), upstreams through their
simulators or small aiohttp servers started here.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, Final, TypeVar

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from gateway.backends.runtime import BACKENDS
from gateway.config import loading as config_mod
from gateway.spi.simulator import Simulator
from gateway.state.base import StateStore
from tests.support import leaks
from tests.support.identities import auth_table, bearer
from tests.support.navigator import Navigator

FLEX = {"kind": "flex", "url": "simulator", "username": "u", "password": "p-secret"}
AZURE = {"kind": "azure", "url": "simulator", "token": "t-secret"}
EVERY_KIND: Final = {
    "avalon": {"kind": "avalon", "url": "simulator", "api_key": "a" * 128},
    "news": {
        "kind": "mediacentral",
        "url": "simulator",
        "username": "newsroom",
        "password": "mc-password-1",
    },
    "flex": FLEX,
    "azure": AZURE,
}
"""One simulated backend of every kind, for tests that go over every route."""

SimulatorT = TypeVar("SimulatorT", bound=Simulator)
StartSimulator = Callable[[SimulatorT], Awaitable[SimulatorT]]
ConfigFactory = Callable[..., config_mod.GatewayConfig]
GatewayFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
def make_config() -> ConfigFactory:
    """Build a checked config from ``server`` and ``backends`` tables."""

    def make(
        server: Mapping[str, Any] | None = None,
        backends: Mapping[str, Mapping[str, Any]] | None = None,
        env: Mapping[str, str] | None = None,
        auth: Mapping[str, Any] | None = None,
        session: Mapping[str, Any] | None = None,
    ) -> config_mod.GatewayConfig:
        data: dict[str, Any] = {"server": dict(server or {})}
        data["backends"] = {"flex": FLEX, "azure": AZURE} if backends is None else backends
        data["auth"] = auth_table() if auth is None else dict(auth)
        if session is not None:
            data["session"] = dict(session)
        return config_mod.parse(data, env=env or {})

    return make


@pytest.fixture
def gateway(
    aiohttp_client: Callable[..., Awaitable[TestClient[web.Request, web.Application]]],
    make_config: ConfigFactory,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[GatewayFactory]:
    """Start a gateway on a loopback port; ``routes`` adds extra routes for a test.

    The client sends a bearer token of the configured user ``user`` (the suite's
    admin unless told otherwise) with every request; ``user=None`` sends none.
    Whatever the gateway answers or logs is checked for its configured secrets when
    the test ends (:mod:`tests.support.leaks`).
    """
    caplog.set_level(logging.INFO)
    recorder = leaks.Recorder()
    secrets: set[str] = set()

    async def start(
        config: config_mod.GatewayConfig | None = None,
        *,
        routes: Callable[[web.Application], None] | None = None,
        wait_probed: bool = True,
        user: str | None = "admin",
        **kwargs: Any,
    ) -> TestClient[web.Request, web.Application]:
        config = config or make_config()
        secrets.update(leaks.configured_secrets(config))
        app = create_app(config)
        app.middlewares.insert(0, recorder.middleware)
        if routes is not None:
            routes(app)
        if user is not None:
            kwargs["headers"] = {**bearer(app, user), **kwargs.get("headers", {})}
        client = await aiohttp_client(app, **kwargs)
        if wait_probed:
            await app[BACKENDS].probed.wait()
        return client

    yield start
    found = leaks.leaks(secrets, recorder.answers + leaks.log_lines(caplog.records))
    assert not found, "secrets left the gateway: " + "; ".join(found)


def backend_simulator(client: TestClient[Any, Any], name: str) -> Simulator:
    """The in-process simulator behind backend ``name`` of a :func:`gateway`."""
    backend = client.app[BACKENDS].get(name)
    assert backend is not None
    found = backend.simulator
    assert isinstance(found, Simulator)
    return found


NavigatorT = TypeVar("NavigatorT", bound=Navigator)
SignedIn = Callable[
    [TestClient[Any, Any], str, Callable[[TestClient[Any, Any]], NavigatorT]], NavigatorT
]


@pytest.fixture
async def signed_in() -> AsyncIterator[SignedIn[Any]]:
    """``make(client, user, navigator)``: a navigator of its own that is ``user``.

    ``navigator`` makes the room's navigator for the client; it gets a session of its
    own sending ``user``'s bearer token. Every such session is closed afterwards.
    """
    sessions: list[aiohttp.ClientSession] = []

    def make(
        client: TestClient[Any, Any],
        user: str,
        navigator: Callable[[TestClient[Any, Any]], NavigatorT],
    ) -> NavigatorT:
        nav = navigator(client)
        nav.session = aiohttp.ClientSession(headers=bearer(client.app, user))
        sessions.append(nav.session)
        return nav

    yield make
    for session in sessions:
        await session.close()


@pytest.fixture
async def upstream() -> AsyncIterator[Callable[[web.Application], Awaitable[str]]]:
    """Serve a small aiohttp app on loopback as a stand-in upstream; returns its URL."""
    servers: list[TestServer] = []

    async def serve(app: web.Application) -> str:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield serve
    for server in servers:
        await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session for talking to simulators directly."""
    # Simulators set cookies for an IP address: accept them, as a browser would not.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server for the whole suite, on a Unix socket; its ``unix://`` URL.

    Tests keep apart by a key prefix of their own (``key_prefix``).

    ``make test`` installs redis-server. The socket keeps it off every TCP port, and
    nothing is saved to disk.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed; `make test` installs it")
    folder = tmp_path_factory.mktemp("redis")
    socket = folder / "redis.sock"
    proc = subprocess.Popen(
        [
            executable,
            "--port", "0",
            "--unixsocket", str(socket),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(folder),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:  # the server says when it takes connections
        if "ready to accept connections" in line.lower():
            break
    else:
        pytest.fail("redis-server stopped before it was ready")
    yield f"unix://{socket}"
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


@pytest.fixture
def key_prefix() -> str:
    """A Redis key prefix no other test uses."""
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture(params=[pytest.param("memory", id="memory"), pytest.param("redis", id="redis")])
def store_config(request: pytest.FixtureRequest, make_config: ConfigFactory) -> Any:
    """A config with the state store of the param: the process's, or Redis."""
    if request.param == "memory":
        return make_config()
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("key_prefix")
    return make_config(session={"store": "redis", "redis_url": url, "key_prefix": prefix})


def interleaving(store: StateStore, requests: int = 2) -> None:
    """Make ``requests`` racing requests go through ``store`` step by step together.

    The first call of each request waits until all of them have made one; from then on
    every call lets the others run first, as a call over the network would. Without it the
    memory store's calls never yield, and the first request would be done before the
    second began.
    """
    arrived: set[asyncio.Task[Any] | None] = set()
    inside: set[asyncio.Task[Any] | None] = set()
    everyone_in = asyncio.Event()
    for name in ("get", "put", "put_new", "delete", "delete_if", "take"):
        original = getattr(store, name)

        async def yielding(*args: Any, _original: Any = original) -> Any:
            task = asyncio.current_task()
            if task in inside:  # a call the store makes of itself (put_new's put) stays whole
                return await _original(*args)
            arrived.add(task)
            if len(arrived) >= requests:
                everyone_in.set()
            await everyone_in.wait()
            await asyncio.sleep(0)
            inside.add(task)
            try:
                return await _original(*args)
            finally:
                inside.discard(task)

        setattr(store, name, yielding)


@pytest.fixture
async def start_simulator() -> AsyncIterator[Callable[[SimulatorT], Awaitable[SimulatorT]]]:
    """Start a simulator on a loopback port; every one started is closed afterwards."""
    started: list[Simulator] = []

    async def start(simulator: SimulatorT) -> SimulatorT:
        await simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.close()
