"""What the gateway measures: the ``halgw_*`` metric families of one application.

Every application has a :class:`Metrics` of its own (``app[METRICS]``), with a
prometheus_client ``CollectorRegistry`` of its own: several gateways in one process (the
test suite runs hundreds) each count exactly their own requests. The pieces that record
get what they record into, never the application: the request middleware here, an
:class:`UpstreamMetrics` per backend for its upstream client, the state store and the
response cache their families. ``GET /metrics`` (:mod:`gateway.api.metrics`) renders the
registry in Prometheus' text format.

Every label value is bounded: route templates (``/backends/{name}/media-objects/{id}``,
never the path asked for; ``unmatched`` for paths no route serves), backend names from
the configuration, a fixed set of methods, statuses. No identity, id, token or path a
client chose ever becomes a label value.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Final, TypeVar

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry, generate_latest

from gateway.web.counting import Cell, Collector, Counter, Family, Gauge, Histogram, Series
from gateway.web.routing import Handler, route_label, route_meta

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text exposition format, version 0.0.4."""
METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods that are label values as they are; any other is ``other``."""
CLIENT_GONE: Final = 499
"""The status counted for a request whose handling was cancelled before it answered (the
process stopping, say), as nginx logs a client gone."""
TIMEOUT: Final = "timeout"
UNREACHABLE: Final = "unreachable"
"""The ``status`` of an upstream call that got no answer: its time ran out, or the
connection failed (refused, reset, DNS, TLS)."""


F = TypeVar("F", bound=Family)


def method_label(method: str) -> str:
    """``method`` as a label value: one of :data:`METHODS`, else ``other``."""
    return method if method in METHODS else "other"


class Metrics:
    """Every ``halgw_*`` family of one application, and the registry that exposes them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._collector = Collector()
        self.registry.register(self._collector)
        self.in_flight = 0
        """Requests being handled now (the middleware counts them)."""
        self.requests = self.add(
            Counter(
                "halgw_http_requests_total",
                "Requests answered, by route template, method, status and backend.",
                ("route", "method", "status", "backend"),
            )
        )
        self.request_seconds = self.add(
            Histogram(
                "halgw_http_request_duration_seconds",
                "Time from a request's arrival at the middlewares to its answer.",
                ("route", "method", "backend"),
            )
        )
        self.add(
            Gauge(
                "halgw_http_requests_in_flight",
                "Requests being handled now.",
                lambda: [((), float(self.in_flight))],
            )
        )
        self.upstream_calls = self.add(
            Counter(
                "halgw_upstream_requests_total",
                "HTTP exchanges with upstreams (each retry is one), by backend, method and "
                "upstream status, or timeout or unreachable when none came.",
                ("backend", "method", "status"),
            )
        )
        self.upstream_seconds = self.add(
            Histogram(
                "halgw_upstream_request_duration_seconds",
                "Time from sending an upstream request to its answer's head (or failure).",
                ("backend", "method"),
            )
        )
        self.logins = self.add(
            Counter(
                "halgw_upstream_logins_total",
                "Upstream logins tried (sessions opened for the gateway or a user).",
                ("backend",),
            )
        )
        self.login_failures = self.add(
            Counter(
                "halgw_upstream_login_failures_total",
                "Upstream logins that failed (refused, or the upstream did not answer).",
                ("backend",),
            )
        )
        self.cache_hits = self.add(
            Counter(
                "halgw_cache_hits_total",
                "GETs answered from the response cache, by backend.",
                ("backend",),
            )
        )
        self.cache_misses = self.add(
            Counter(
                "halgw_cache_misses_total",
                "Cacheable GETs the response cache had no answer for, by backend.",
                ("backend",),
            )
        )
        self.rate_limited = self.add(
            Counter(
                "halgw_rate_limited_total",
                "Requests refused with 429 because their identity was over its rate limit.",
            )
        )
        self.redis_errors = self.add(
            Counter(
                "halgw_redis_errors_total",
                "Redis operations that failed (Redis unreachable or erring), by operation.",
                ("operation",),
            )
        )

    def add(self, family: F) -> F:
        """Expose ``family`` with the others."""
        self._collector.add(family)
        return family

    @classmethod
    def unrecorded(cls) -> Metrics:
        """Families nobody reads, for pieces made outside an application (one for them all)."""
        return _NOWHERE

    def upstream(self, backend: str) -> UpstreamMetrics:
        """The recorder of backend ``backend``'s upstream client."""
        return UpstreamMetrics(self, backend)

    def cache(self) -> CacheMetrics:
        """The recorder of the response cache's hits and misses."""
        return CacheMetrics(self)

    def render(self) -> bytes:
        """Every family in the text exposition format (:data:`CONTENT_TYPE`)."""
        return generate_latest(self.registry)


class UpstreamMetrics:
    """What one backend's upstream client records: its calls, their time, its logins.

    The series of each (method, status) are found once and kept.
    """

    __slots__ = ("_calls", "_failures", "_logins", "_metrics", "_seconds", "backend")

    def __init__(self, metrics: Metrics, backend: str) -> None:
        self.backend = backend
        self._metrics = metrics
        self._calls: dict[tuple[str, int | str], Cell] = {}
        self._seconds: dict[str, Series] = {}
        self._logins = metrics.logins.child(backend)
        self._failures = metrics.login_failures.child(backend)

    @classmethod
    def unrecorded(cls, backend: str) -> UpstreamMetrics:
        """A recorder nobody reads, for clients made outside an application."""
        return cls(Metrics.unrecorded(), backend)

    def call(self, method: str, status: int | str, seconds: float) -> None:
        """One exchange: its upstream ``status`` (or :data:`TIMEOUT`, :data:`UNREACHABLE`)."""
        cell = self._calls.get((method, status))
        if cell is None:
            label = method_label(method)
            cell = self._metrics.upstream_calls.child(self.backend, label, str(status))
            self._calls[method, status] = cell
        cell.value += 1
        series = self._seconds.get(method)
        if series is None:
            series = self._metrics.upstream_seconds.child(self.backend, method_label(method))
            self._seconds[method] = series
        series.observe(seconds)

    def login(self, *, failed: bool) -> None:
        """One upstream login, and whether it failed."""
        self._logins.value += 1
        if failed:
            self._failures.value += 1


class CacheMetrics:
    """What the response cache records: hits and misses by backend, each series found once."""

    __slots__ = ("_cells", "_metrics")

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._cells: dict[str, tuple[Cell, Cell]] = {}

    def hit(self, backend: str) -> None:
        """A GET or HEAD for ``backend`` answered from the cache."""
        self._of(backend)[0].value += 1

    def miss(self, backend: str) -> None:
        """A GET or HEAD for ``backend`` the cache could have answered but held nothing for."""
        self._of(backend)[1].value += 1

    def _of(self, backend: str) -> tuple[Cell, Cell]:
        cells = self._cells.get(backend)
        if cells is None:
            hits = self._metrics.cache_hits.child(backend)
            cells = self._cells[backend] = (hits, self._metrics.cache_misses.child(backend))
        return cells


_NOWHERE: Final = Metrics()


class _RouteSeries:
    """The request series of one route: counts by status, and the latency histogram."""

    __slots__ = ("_by_status", "_labels", "_requests", "seconds")

    def __init__(self, metrics: Metrics, route: str, method: str, backend: str) -> None:
        self._requests = metrics.requests
        self._labels = (route, method, backend)
        self._by_status: dict[int, Cell] = {}
        self.seconds = metrics.request_seconds.child(route, method, backend)

    def answered(self, status: int, seconds: float) -> None:
        """Count one answer of ``status`` that took ``seconds``."""
        cell = self._by_status.get(status)
        if cell is None:
            route, method, backend = self._labels
            cell = self._requests.child(route, method, str(status), backend)
            self._by_status[status] = cell
        cell.value += 1
        self.seconds.observe(seconds)


def middleware(metrics: Metrics) -> Middleware:
    """The middleware counting requests (outermost but the request id, outside ``problems``:
    it sees every answer as the client gets it, problems included)."""
    routes: dict[Hashable, _RouteSeries] = {}

    def series(request: web.Request) -> _RouteSeries:
        route = request.match_info.route
        meta = route_meta(request)
        method = method_label(request.method)
        key: Hashable
        template = route_label(request)
        if meta is None:
            # No route (404, 405): one series per method, whatever the path (and a route
            # added without its metadata, none of the gateway's, per template).
            key, backend = (template, method), ""
        else:
            key = route if route.method != hdrs.METH_ANY else (route, method)
            backend = meta.backend or ""
        found = routes.get(key)
        if found is None:
            found = routes[key] = _RouteSeries(metrics, template, method, backend)
        return found

    @web.middleware
    async def measured(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Known routes are found by the route object alone: one dictionary look-up.
        found = routes.get(request.match_info.route) or series(request)
        metrics.in_flight += 1
        started = time.perf_counter()
        status = CLIENT_GONE
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:  # a redirect raised past the problems middleware
            status = exc.status
            raise
        finally:
            metrics.in_flight -= 1
            found.answered(status, time.perf_counter() - started)

    return measured


METRICS: Final = web.AppKey("metrics", Metrics)
"""The application's metrics."""
