"""Problem details (RFC 9457) for every error response.

The body is ``{type, title, status, detail, code, transient, incident}`` plus, for
upstream errors, ``backend``, ``upstream_status`` and ``errors``. ``title`` and
``transient`` come from the status table; ``incident`` is the request id.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from gateway.web import errors, statuses
from gateway.web.errors import GatewayError
from gateway.web.routing import Route, add_route
from gateway.web.urls import public_base

MEDIA_TYPE: Final = "application/problem+json"
TYPE_PATH: Final = "/problems/"


def body(
    status: int,
    code: str,
    detail: str,
    incident: str,
    base: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem document for ``status`` (which must be a row of the table)."""
    row = statuses.row(status)
    doc: dict[str, Any] = {
        "type": f"{base}{TYPE_PATH}{code}",
        "title": row.condition,
        "status": status,
        "detail": detail,
        "code": code,
        "transient": bool(row.transient),
        "incident": incident,
    }
    if extra:
        doc.update(extra)
    return doc


def response(error: GatewayError, incident: str, base: str) -> web.Response:
    """The problem+json response for ``error``."""
    status = error.http_status
    doc = body(status, error.problem_code, error.detail, incident, base, error.extra)
    resp = web.Response(
        status=status,
        body=json.dumps(doc).encode(),
        content_type=MEDIA_TYPE,
        headers=error.headers,
    )
    return resp


EXTRA_TYPES: Final = {
    "not-ready": (503, "One or more backends failed their last readiness probe."),
    "backend-not-ready": (503, "This backend failed its last readiness probe, or has not had one."),
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
