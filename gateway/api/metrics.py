"""``GET /metrics``: the gateway's metrics in Prometheus' text format, and a port of their own.

On the gateway's port, ``/metrics`` is an admin route (401 without a login, 403 for
other roles), and a scraper may read it with ``server.metrics_token`` instead:
``Authorization: Bearer <token>``, compared in constant time before any login is looked
at. A request with that token is served as nobody's; a wrong token is no gateway token
either, so it gets the 401 of a bad login.

With ``server.metrics_port`` set, a listener of its own serves ``/metrics`` alone there,
**without any login**, on ``server.metrics_host`` (else the gateway's own address): it
is meant for a port only the cluster's network reaches. With ``server.workers`` above 1,
worker *k* listens on ``metrics_port + k - 1``: each worker counts its own requests, and
each is a target of its own for the scraper (on the shared main port, a scrape reaches
whichever worker the kernel picks).

Besides what the middlewares and clients count (:mod:`gateway.web.metrics`), some values
are read when scraped: the response cache's size, each backend's last probe and circuit
breaker, the gateway's version.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Final

from aiohttp import hdrs, web

from gateway.api.registry import package_version
from gateway.backends.runtime import BACKENDS, BackendSet
from gateway.caching.middleware import RESPONSE_CACHE
from gateway.caching.responses import ResponseCache
from gateway.config.loading import CONFIG
from gateway.web.counting import CountRead, Gauge, Labels
from gateway.web.metrics import CONTENT_TYPE, METRICS, Metrics
from gateway.web.routing import Route, add_route

log = logging.getLogger(__name__)

PATH: Final = "/metrics"
BREAKER_STATES: Final = {"closed": 0.0, "half-open": 1.0, "open": 2.0}
"""The value of ``halgw_backend_breaker_state`` for each state of a backend's breaker."""


class ListenError(Exception):
    """The metrics port cannot be listened on."""


def scrape_token(token: str) -> Callable[[web.Request], bool]:
    """Whether a request's ``Authorization`` is ``Bearer <token>``, in constant time.

    Both sides are hashed first, so the comparison does not even tell the token's length.
    """
    expected = hashlib.sha256(token.encode()).digest()

    def holds(request: web.Request) -> bool:
        scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(hashlib.sha256(given.strip().encode()).digest(), expected)

    return holds


async def metrics_text(request: web.Request) -> web.Response:
    """The gateway's metrics, in Prometheus' text format: for admins, or with the scrape token."""
    return web.Response(
        body=request.app[METRICS].render(),
        headers={hdrs.CONTENT_TYPE: CONTENT_TYPE, hdrs.CACHE_CONTROL: "no-store"},
    )


def setup(app: web.Application, *, host: str | None = None, worker: int | None = None) -> None:
    """Add ``GET /metrics``, the values read when scraped, and the metrics port if configured.

    ``host``: the address the gateway serves on, when not ``server.host``; ``worker``:
    this worker's number, with several.
    """
    server = app[CONFIG].server
    token = server.metrics_token.reveal()
    add_route(
        app,
        Route(
            "GET",
            PATH,
            metrics_text,
            produces=("text/plain",),
            access="admin",
            credential=scrape_token(token) if token else None,
        ),
    )
    _read_at_scrape(app[METRICS], app[RESPONSE_CACHE], app[BACKENDS])
    if server.metrics_port:
        address = server.metrics_host or host or server.host
        port = server.metrics_port + (worker - 1 if worker is not None else 0)
        app.cleanup_ctx.append(_listener(address, port))


def _read_at_scrape(meter: Metrics, cache: ResponseCache, backends: BackendSet) -> None:
    """The families whose values other objects keep: read on each scrape, never counted."""

    def cache_bytes() -> Iterator[tuple[Labels, float]]:
        yield (), float(cache.size)

    def cache_entries() -> Iterator[tuple[Labels, float]]:
        yield (), float(len(cache))

    def ready() -> Iterator[tuple[Labels, float]]:
        for backend in backends:
            # What /readyz tells: the probe passed and the circuit is not open.
            yield (backend.name,), 1.0 if backend.ready else 0.0

    def breaker_state() -> Iterator[tuple[Labels, float]]:
        for backend in backends:
            yield (backend.name,), BREAKER_STATES[backend.breaker.state]

    def breaker_opened() -> Iterator[tuple[Labels, float]]:
        for backend in backends:
            yield (backend.name,), float(backend.breaker.opened)

    version = package_version()
    meter.add(Gauge("halgw_cache_stored_bytes", "Bytes the response cache holds.", cache_bytes))
    meter.add(Gauge("halgw_cache_entries", "Answers the response cache holds.", cache_entries))
    meter.add(
        Gauge(
            "halgw_backend_ready",
            "1 when the backend is ready (probe passed, circuit not open), else 0.",
            ready,
            ("backend",),
        )
    )
    meter.add(
        Gauge(
            "halgw_backend_breaker_state",
            "The backend's circuit breaker: 0 closed, 1 half-open, 2 open.",
            breaker_state,
            ("backend",),
        )
    )
    meter.add(
        CountRead(
            "halgw_backend_breaker_opened_total",
            "Times the backend's circuit breaker opened.",
            breaker_opened,
            ("backend",),
        )
    )
    meter.add(
        Gauge(
            "halgw_build_info",
            "The gateway's version, as a label; always 1.",
            lambda: [((version,), 1.0)],
            ("version",),
        )
    )


def _listener(host: str, port: int) -> Callable[[web.Application], AsyncIterator[None]]:
    """The cleanup context serving ``/metrics`` alone on ``host:port``, without login."""

    async def serve(app: web.Application) -> AsyncIterator[None]:
        side = web.Application()
        side[METRICS] = app[METRICS]
        side.router.add_get(PATH, metrics_text)
        # No access log: a scraper's every visit is no news.
        runner = web.AppRunner(side, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            shown = f"[{host}]" if ":" in host else host
            # The event loop words its bind errors its own way, repeating the address.
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ListenError(f"cannot listen for /metrics on {shown}:{port}: {reason}") from exc
        log.info("metrics on http://%s:%d%s, without login", host, port, PATH)
        try:
            yield
        finally:
            await runner.cleanup()

    return serve
