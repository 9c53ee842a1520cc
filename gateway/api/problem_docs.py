"""``GET /problems/{code}``: what each problem type the gateway answers with means."""

from __future__ import annotations

import html
from typing import Final

from aiohttp import web

from gateway.web import errors, statuses
from gateway.web.errors import GatewayError
from gateway.web.problem import TYPE_PATH
from gateway.web.routing import Route, add_route
from gateway.web.urls import public_base

EXTRA_TYPES: Final = {
    "not-ready": (503, "No backend passed its last readiness probe with its circuit closed."),
    "backend-not-ready": (
        503,
        "This backend failed its last readiness probe, has not had one, or its circuit is open.",
    ),
    "draining": (
        503,
        "The gateway is shutting down: requests in flight finish, new ones go elsewhere.",
    ),
}
"""Problem codes used without an exception class of their own."""


def problem_types() -> dict[str, tuple[int, str]]:
    """Every problem code the gateway uses → (status, description)."""
    out: dict[str, tuple[int, str]] = {}
    stack: list[type[GatewayError]] = [GatewayError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        status = 500 if issubclass(cls, errors.UpstreamStatusError) else cls.status
        description = (cls.__doc__ or "").strip().splitlines()[0]
        out.setdefault(cls.code, (status, description))
    out.update(EXTRA_TYPES)
    return out


async def problem_page(request: web.Request) -> web.Response:
    """``GET /problems/{code}``: what a problem type means."""
    code = request.match_info["code"]
    known = problem_types().get(code)
    if known is None:
        raise errors.NotFound(f"no problem type {code} is documented here")
    status, description = known
    esc = html.escape
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{esc(code)}</title></head><body><h1>Problem: {esc(code)}</h1>"
        f"<p>{esc(description)}</p><p>Usual status: {status} "
        f"({esc(statuses.row(status).condition)}). Upstream problems take their status from "
        "the upstream-status table; see the README.</p>"
        f'<p><a href="{esc(public_base(request))}/">Gateway root</a></p></body></html>'
    )
    return web.Response(text=page, content_type="text/html")


def setup(app: web.Application) -> None:
    """Add the problem type documentation route."""
    add_route(
        app,
        Route("GET", TYPE_PATH + "{code}", problem_page, produces=("text/html",), access="public"),
    )
