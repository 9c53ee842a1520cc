"""Request plumbing of the Azure connector simulator: bearer tokens, error bodies, Accept.

Under ``/api`` every request needs ``Authorization: Bearer <token>``: the fixed token, a
read-only one (which may only GET: 403 otherwise), or an unexpired access token of the
token endpoint (:mod:`adapters.azure.simulator.token_endpoint`); 401 otherwise. It also needs an
``Accept`` that admits JSON (406), a URI of at most :data:`MAX_URI_BYTES` (414), and
JSON request bodies (415). Errors carry the service's ``{"Message": "..."}`` body,
aiohttp's own (unknown route, wrong method) included.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from adapters.azure.simulator.state import STATE, ApiError, Json
from adapters.azure.simulator.token_endpoint import ISSUER

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_URI_BYTES: Final = 2048
_READ_METHODS: Final = frozenset({"GET", "HEAD"})
_REALM: Final = 'Bearer realm="Azure Media Services Connector"'
CLIENT: Final = web.RequestKey("azure_client", str)


def _accepts_json(accept: str | None) -> bool:
    """Whether ``Accept`` lets JSON through (RFC 9110 12.5.1: the most specific range wins)."""
    if not accept:
        return True
    best: tuple[int, float] = (-1, 0.0)  # (specificity, q) of the range that matches
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        specificity = {"application/json": 2, "application/*": 1, "*/*": 0}.get(media.lower())
        if specificity is None:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if specificity > best[0]:
            best = (specificity, q)
    return best[1] > 0


def _token(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _authorize(request: web.Request) -> None:
    config = request.app[STATE].config
    token = _token(request)
    if token is not None and config.full_rights(token):
        return
    if token is not None and token in config.read_only_tokens:
        if request.method in _READ_METHODS:
            return
        raise ApiError(403, "This token may read videos but not change them.")
    issuer = request.app[ISSUER]
    grant = issuer.lookup(token) if token is not None else None
    if grant is not None and not issuer.expired(grant):
        request[CLIENT] = grant.client_id
        return
    challenge = _REALM
    if grant is not None:  # RFC 6750 3.1: say why, so the client knows to get a new one
        challenge += ', error="invalid_token", error_description="The access token expired"'
    raise ApiError(
        401, "Authorization has been denied for this request.", {"WWW-Authenticate": challenge}
    )


def client_of(request: web.Request) -> str | None:
    """The client id whose access token the request came with; None for the fixed tokens."""
    return request.get(CLIENT)


@web.middleware
async def api_middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Checks of every ``/api`` request, and errors as ``{"Message": ...}``."""
    try:
        if request.path.startswith("/api/") or request.path == "/api":
            if len(request.raw_path.encode()) > MAX_URI_BYTES:
                raise ApiError(414, "The request URI is too long.")
            _authorize(request)
            if not _accepts_json(request.headers.get("Accept")):
                raise ApiError(406, "The only response format offered is application/json.")
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api"):
            raise
        return web.json_response({"Message": exc.reason}, status=exc.status, headers=_allow(exc))


def _allow(exc: web.HTTPException) -> dict[str, str]:
    allow = exc.headers.get("Allow")
    return {"Allow": allow} if allow else {}


async def json_body(request: web.Request) -> Json:
    """The request body as a JSON object: 415 for another type, 400 when it does not parse."""
    if request.content_type != "application/json":
        raise ApiError(415, f"The media type '{request.content_type}' is not supported.")
    try:
        body: Any = json.loads(await request.read())
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def matches(header: str | None, etag: str, *, weak: bool) -> bool:
    """Whether an ``If-Match`` (strong) or ``If-None-Match`` (``weak``) value names ``etag``."""
    if header is None:
        return False
    tags = [t.strip() for t in header.split(",")]
    if weak:
        tags = [t.removeprefix("W/") for t in tags]
    return "*" in tags or etag in tags


def origin(request: web.Request) -> str:
    """Scheme, host and port the client used to reach the simulator."""
    return str(request.url.origin())
