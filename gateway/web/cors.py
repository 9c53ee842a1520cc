"""Cross-origin requests (CORS) from the origins ``server.cors_origins`` lists.

A browser app served from another origin may call the gateway, with its login (a bearer
token or the session cookie), only when its origin is listed, exactly as browsers send it:
``scheme://host[:port]``. Nothing is allowed when the list is empty, and then no answer
carries a CORS header.

- :func:`middleware` answers a preflight (``OPTIONS`` with ``Origin`` and
  ``Access-Control-Request-Method``) itself, before any login is asked for (a browser
  sends none with it): 204 with ``Access-Control-Allow-Methods``, ``-Headers`` and
  ``-Max-Age`` for a listed origin, a 403 problem without them for any other.
- :func:`hook` (``on_response_prepare``, so it sees every answer: problems, 304s and
  streamed downloads too) gives every answer to a listed origin
  ``Access-Control-Allow-Origin`` (that origin, never ``*``) and
  ``Access-Control-Allow-Credentials``, and the actual answers
  ``Access-Control-Expose-Headers``; while the list is not empty every answer says
  ``Vary: Origin``, as each depends on it.

The allowed methods are those the router serves at the path (with ``HEAD`` beside
``GET``), except under ``/backends/``: a preflight carries no login, and a backend a
caller may not use must look like one that does not exist, so there, as for a path
nothing is served at, every method the gateway serves is allowed and the actual request
gets its 404 or 405 as a problem the page can read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Final
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from gateway.web.errors import Forbidden
from gateway.web.negotiation import merge_vary
from gateway.web.routing import Handler

ALLOWED_HEADERS: Final = (
    "Authorization",
    "Content-Type",
    "Content-Disposition",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-CSRF-Token",
    "X-Request-Id",
)
"""Request headers a page may send beyond the safelisted ones: the login, bodies and the
names of raw uploads, conditions, idempotent POSTs, the session's CSRF token, request ids."""
EXPOSED_HEADERS: Final = (
    "Location",
    "Content-Location",
    "ETag",
    "X-Request-Id",
    "RateLimit",
    "RateLimit-Policy",
    "Retry-After",
    "WWW-Authenticate",
    "Allow",
    "Content-Disposition",
    "Idempotent-Replayed",
    "Link",
)
"""Answer headers a page may read beyond the safelisted ones (``Link``: where a single
sign-on logout goes on at the identity provider)."""
EVERY_METHOD: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
"""The methods the gateway serves somewhere."""
MAX_AGE_S: Final = 600
"""How long a browser may reuse a preflight's answer: a changed list reaches it soon."""
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

ResponseHook = Callable[[web.BaseRequest, web.StreamResponse], Awaitable[None]]
"""An ``on_response_prepare`` hook."""


def origin_problem(value: str) -> str | None:
    """Why ``value`` cannot be a ``cors_origins`` entry, or None when it can."""
    if value == "*":
        return (
            "'*' is not allowed: the gateway's answers depend on the caller's login, so "
            "each origin is listed by itself"
        )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return f"{value!r} is not an origin (scheme://host[:port])"
    host = parts.hostname
    if parts.scheme.lower() not in _DEFAULT_PORTS or not host or parts.username is not None:
        return f"{value!r} is not an origin: http:// or https://, a host, maybe a port"
    if not host.isascii():
        return f"{value!r}: write the host in its ASCII (punycode) form, as browsers send it"
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    canonical = f"{scheme}://{netloc}"
    if value != canonical:
        # Browsers send the origin in this one spelling, and it is compared exactly.
        return f"{value!r} is not an origin as browsers send it; write {canonical!r}"
    return None


def _is_preflight(request: web.BaseRequest) -> bool:
    return (
        request.method == hdrs.METH_OPTIONS
        and hdrs.ORIGIN in request.headers
        and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
    )


def _allowed_methods(request: web.Request) -> list[str]:
    """The methods served at the request's path (see the module's docstring)."""
    if request.path.startswith("/backends/"):
        return list(EVERY_METHOD)
    exception = request.match_info.http_exception
    if isinstance(exception, web.HTTPMethodNotAllowed):
        served = set(exception.allowed_methods)
    elif exception is None and request.match_info.route.resource is not None:
        served = {route.method for route in request.match_info.route.resource}
    else:
        return list(EVERY_METHOD)
    return [method for method in EVERY_METHOD if method in served]


def middleware(origins: Iterable[str]) -> Middleware:
    """Answer preflights before the login is asked for (place it outside ``access``)."""
    listed = frozenset(origins)

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not _is_preflight(request):
            return await handler(request)
        if request.headers[hdrs.ORIGIN] not in listed:
            raise Forbidden(
                "cross-origin requests from this origin are not allowed; the origins that "
                "may call the gateway from a browser are listed in its server.cors_origins"
            )
        return web.Response(
            status=204,
            headers={
                hdrs.ACCESS_CONTROL_ALLOW_METHODS: ", ".join(_allowed_methods(request)),
                hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ", ".join(ALLOWED_HEADERS),
                hdrs.ACCESS_CONTROL_MAX_AGE: str(MAX_AGE_S),
            },
        )

    return cors


def hook(origins: Iterable[str]) -> ResponseHook:
    """The ``on_response_prepare`` hook giving answers their CORS headers."""
    listed = frozenset(origins)

    async def add_cors_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
        if not listed:
            return
        response.headers[hdrs.VARY] = merge_vary(response.headers.get(hdrs.VARY), hdrs.ORIGIN)
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None or origin not in listed:
            return
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
        if not _is_preflight(request):
            response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = ", ".join(EXPOSED_HEADERS)

    return add_cors_headers
