"""Liveness and readiness: ``GET /healthz`` and ``GET /readyz``.

``/healthz`` answers 200 while the process serves requests. ``/readyz`` answers 200
when every backend passed its last readiness probe, else 503; admins see which
backends and why, one problem per backend that did not.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.auth.access import caller
from gateway.backends.runtime import BACKENDS, Backend
from gateway.config.auth import ADMIN
from gateway.web import hal, problem
from gateway.web.middlewares import request_id
from gateway.web.routing import Route, add_route, hal_response
from gateway.web.urls import public_base


async def healthz(request: web.Request) -> web.Response:
    """``GET /healthz``: the process is alive."""
    doc = hal.Resource({"status": "ok"}).link("self", public_base(request) + "/healthz")
    return hal_response(doc)


def _backend_problem(backend: Backend, incident: str, base: str) -> dict[str, Any]:
    probe = backend.probe
    if probe is None:
        status, detail = 503, f"backend {backend.name} has not been probed yet"
    else:
        status = probe.status or 503
        detail = probe.detail or f"backend {backend.name} failed its probe"
    return problem.body(
        status,
        "backend-not-ready",
        detail,
        incident,
        base,
        {"backend": backend.name, "checked_at": probe.at if probe else None},
    )


async def readyz(request: web.Request) -> web.Response:
    """``GET /readyz``: 200 when every backend answered its last probe, else 503.

    Anybody (an orchestrator's probe) learns how many backends are ready; which ones,
    and why not, only admins: the names and failures describe the deployment.
    """
    base = public_base(request)
    backends: list[Backend] = [*request.app[BACKENDS]]
    failing = [b for b in backends if not (b.probe and b.probe.ok)]
    who = caller(request)
    detailed = who is not None and ADMIN in who.roles
    if not failing:
        facts: dict[str, Any] = {"status": "ready", "ready": len(backends)}
        if detailed:
            facts["backends"] = {b.name: "ready" for b in backends}
        return hal_response(hal.Resource(facts).link("self", base + "/readyz"))
    incident = request_id(request)
    detail = f"{len(failing)} of {len(backends)} backends are not ready"
    extra: dict[str, Any] = {}
    if detailed:
        detail += ": " + ", ".join(b.name for b in failing)
        extra["backends"] = [_backend_problem(b, incident, base) for b in failing]
    body = problem.body(503, "not-ready", detail, incident, base, extra)
    return web.json_response(body, status=503, content_type=problem.MEDIA_TYPE)


def setup(app: web.Application) -> None:
    """Add the health routes."""
    add_route(app, Route("GET", "/healthz", healthz, access="public"))
    add_route(app, Route("GET", "/readyz", readyz, access="public"))
