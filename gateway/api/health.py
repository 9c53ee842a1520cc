"""Liveness and readiness: ``GET /healthz`` and ``GET /readyz``.

``/healthz`` answers 200 while the process serves requests. ``/readyz`` says whether it
should get traffic: 200 ``ready`` when every backend passed its last readiness probe
and none has its circuit breaker open, 200 ``degraded`` when some have not (the others
are served meanwhile), 503 ``not-ready`` when none is ready and 503 ``draining`` once
the process is shutting down. Admins see each backend's readiness, failed probes in a
row and breaker state, with a problem for each backend that is not ready.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.auth.access import caller
from gateway.backends.runtime import BACKENDS, Backend
from gateway.config.roles import ADMIN
from gateway.web import hal, problem
from gateway.web.middlewares import request_id
from gateway.web.routing import Route, add_route, hal_response
from gateway.web.serving import DRAIN
from gateway.web.urls import public_base


async def healthz(request: web.Request) -> web.Response:
    """``GET /healthz``: the process is alive."""
    doc = hal.Resource({"status": "ok"}).link("self", public_base(request) + "/healthz")
    return hal_response(doc)


def _backend_problem(backend: Backend, incident: str, base: str) -> dict[str, Any]:
    probe = backend.probe
    if probe is None:
        status, detail = 503, f"backend {backend.name} has not been probed yet"
    elif not probe.ok:
        status = probe.status or 503
        detail = probe.detail or f"backend {backend.name} failed its probe"
    else:
        status = 503
        detail = (
            f"backend {backend.name} failed repeatedly: its circuit is open for "
            f"{backend.breaker.retry_after_s()} s more"
        )
    return problem.body(
        status,
        "backend-not-ready",
        detail,
        incident,
        base,
        {"backend": backend.name, "checked_at": probe.at if probe else None},
    )


def _backend_facts(backend: Backend, incident: str, base: str) -> dict[str, Any]:
    """What admins see of one backend: readiness, its probes, its circuit breaker."""
    probe = backend.probe
    facts: dict[str, Any] = {
        "ready": backend.ready,
        "breaker": backend.breaker.state,
        "probe_failures": probe.failures if probe else 0,
        "checked_at": probe.at if probe else None,
    }
    if not backend.ready:
        facts["problem"] = _backend_problem(backend, incident, base)
    return facts


async def readyz(request: web.Request) -> web.Response:
    """``GET /readyz``: 200 ``ready`` or ``degraded`` while this process should get traffic.

    503 only when it should not: it is draining (shutting down), or none of its backends
    is ready. Anybody (an orchestrator's probe) learns how many backends are ready;
    which ones, and why not, only admins: the names and failures describe the deployment.
    """
    base = public_base(request)
    backends: list[Backend] = [*request.app[BACKENDS]]
    ready = sum(1 for b in backends if b.ready)
    counts: dict[str, Any] = {"ready": ready, "not_ready": len(backends) - ready}
    who = caller(request)
    if who is not None and ADMIN in who.roles:
        incident = request_id(request)
        counts["backends"] = {b.name: _backend_facts(b, incident, base) for b in backends}
    drain = request.app.get(DRAIN)
    if drain is not None and drain.draining:
        detail = "the gateway is shutting down: requests in flight finish, new ones go elsewhere"
        return _unready("draining", detail, request, counts)
    if backends and not ready:
        detail = f"none of the {len(backends)} backends is ready"
        return _unready("not-ready", detail, request, counts)
    # One broken upstream must not take the others out of service with it.
    status = "ready" if ready == len(backends) else "degraded"
    doc = hal.Resource({"status": status, **counts}).link("self", base + "/readyz")
    return hal_response(doc)


def _unready(code: str, detail: str, request: web.Request, facts: dict[str, Any]) -> web.Response:
    body = problem.body(503, code, detail, request_id(request), public_base(request), facts)
    return web.json_response(body, status=503, content_type=problem.MEDIA_TYPE)


def setup(app: web.Application) -> None:
    """Add the health routes."""
    add_route(app, Route("GET", "/healthz", healthz, access="public"))
    add_route(app, Route("GET", "/readyz", readyz, access="public"))
