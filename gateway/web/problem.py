"""Problem details (RFC 9457) for every error response.

The body is ``{type, title, status, detail, code, transient, incident}`` plus, for
upstream errors, ``backend``, ``upstream_status`` and ``errors``. ``title`` and
``transient`` come from the status table; ``incident`` is the request id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from gateway.web import jsoncodec, statuses
from gateway.web.errors import GatewayError

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
        body=jsoncodec.dumps(doc),
        content_type=MEDIA_TYPE,
        headers=error.headers,
    )
    return resp
