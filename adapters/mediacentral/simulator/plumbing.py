"""Request plumbing shared by the MediaCentral simulator's handlers.

HAL answers with CURIEs that lead to the vendor's developer site (as the platform's
own do: documentation never lives on the platform host), the two error shapes (the
platform gateway's 401 ``avid.upstream/UNAUTHENTICATED`` body and the services'
``application/vnd.avid.problem+json``), the session check in front of everything
but the login endpoints, and the ``offset``/``limit`` paging parameters.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from adapters.mediacentral.simulator.state import PLATFORM, SESSION, Json, Platform, Session

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HAL: Final = "application/hal+json"
PROBLEM: Final = "application/vnd.avid.problem+json"
DOCS: Final = "https://developer.avid.com/ctms/relations/{prefix}/{{rel}}"
"""Where the platform's CURIEs lead: documentation on the developer site."""
ACCESS_COOKIE: Final = "avidAccessToken"
DEFAULT_LIMIT: Final = 25
"""The page size of a search that names none."""
FOLDER_LIMIT: Final = 100
"""The page size of a folder read that names none (root-item.html: "default page size of 100")."""
MAX_LIMIT: Final = 100
TOTAL: Final = "totalElements"
"""The ``insist`` value that asks for ``paging.totalElements`` (rs_paginginformation.html)."""
INVALID_PARAMETER: Final = "avid.pam/CTMS/INVALID_PARAMETER"
NOT_FOUND: Final = "avid.pam/CTMS/NOT_FOUND"
FORBIDDEN: Final = "avid.pam/CTMS/FORBIDDEN"


class Problem(Exception):
    """Ends a request with an ``application/vnd.avid.problem+json`` answer."""

    def __init__(
        self, status: int, code: str, message: str, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.params = params or {}

    def response(self) -> web.Response:
        """The problem document."""
        body = {"code": self.code, "message": self.message, "params": self.params}
        return web.Response(
            status=self.status,
            text=json.dumps({**body, "status": self.status}),
            content_type=PROBLEM,
        )


def invalid_parameter(name: str, message: str) -> Problem:
    """400 naming the parameter that is wrong."""
    return Problem(400, INVALID_PARAMETER, message, {"message": message, "parameterName": name})


def not_found(what: str, item_id: str) -> Problem:
    """404 for an id nothing has."""
    return Problem(404, NOT_FOUND, f"No {what} with id {item_id}", {"id": item_id})


def forbidden(what: str, item_id: str) -> Problem:
    """403 for an id the session may not read."""
    return Problem(403, FORBIDDEN, f"No access to {what} with id {item_id}", {"id": item_id})


def unauthenticated(platform: Platform, message: str) -> web.Response:
    """The platform gateway's 401, with incident and exchange ids as the real one sends."""
    platform.counters.unauthenticated += 1
    body = {
        "code": "avid.upstream/UNAUTHENTICATED",
        "params": {},
        "message": message,
        "incident": str(uuid.uuid1()),
        "exchange": str(uuid.uuid1()),
        "status": 401,
    }
    return web.json_response(body, status=401)


def origin(request: web.Request) -> str:
    """The platform's base URL as the caller reached it; every href starts with it."""
    return f"{request.scheme}://{request.host}"


def curies(*prefixes: str) -> list[Json]:
    """CURIE links of ``prefixes``, leading to the developer site."""
    return [{"name": p, "href": DOCS.format(prefix=p), "templated": True} for p in prefixes]


def hal(doc: Json, status: int = 200) -> web.Response:
    """A ``application/hal+json`` answer."""
    return web.Response(status=status, text=json.dumps(doc), content_type=HAL)


def platform_of(request: web.Request) -> Platform:
    """The platform this request reached."""
    return request.app[PLATFORM]


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_session(request: web.Request) -> Session | None:
    """The live session of the request's bearer token, else of its access cookie."""
    platform = platform_of(request)
    if "Authorization" in request.headers:
        # A bad Authorization header is not rescued by a cookie that happens to be there.
        token = _bearer(request)
        return platform.session(token) if token else None
    cookie = request.cookies.get(ACCESS_COOKIE)
    return platform.session(cookie) if cookie else None


def session_middleware(public_paths: Iterable[str]) -> Middleware:
    """Answer 401 to every call without a live session, except to ``public_paths``."""
    public = frozenset(public_paths)

    @web.middleware
    async def require_session(request: web.Request, handler: _Handler) -> web.StreamResponse:
        if request.path in public:
            return await handler(request)
        session = current_session(request)
        if session is None:
            has_credentials = "Authorization" in request.headers or bool(
                request.cookies.get(ACCESS_COOKIE)
            )
            message = "Access token expired or invalid" if has_credentials else None
            return unauthenticated(platform_of(request), message or "No access token provided")
        request[SESSION] = session
        platform_of(request).counters.calls_by[session.principal] += 1
        return await handler(request)

    return require_session


@web.middleware
async def watch(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Count the request; after its answer, tell whoever waits for the counters."""
    platform_of(request).counters.paths[request.path] += 1
    try:
        return await handler(request)
    finally:
        platform_of(request).check_watchers()


@web.middleware
async def problems(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Turn :class:`Problem` into its answer."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response()


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``[low, high]``; a problem otherwise."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_parameter(name, f"Parameter {name} must be an integer: {raw[:40]}") from None
    if not low <= value <= high:
        raise invalid_parameter(name, f"Parameter {name} must be between {low} and {high}")
    return value


def paging(request: web.Request, default: int = DEFAULT_LIMIT) -> tuple[int, int]:
    """``offset`` (from 0) and ``limit`` (1 to 100, ``default`` when not given)."""
    offset = int_param(request, "offset", 0, 0, 1_000_000)
    limit = int_param(request, "limit", default, 1, MAX_LIMIT)
    return offset, limit


def insists(request: web.Request) -> bool:
    """Whether the caller asked for the total count (``insist=totalElements``)."""
    return TOTAL in request.query.getall("insist", [])


def paged_links(url: str, offset: int, limit: int, total: int, extra: str = "") -> Json:
    """``self``, ``first``, ``prev`` and ``next`` of one page of ``url``.

    ``extra`` is a query prefix kept on every link (``search=...&``); ``url`` may
    already carry a ``?`` when ``extra`` is empty.
    """

    def at(start: int) -> str:
        return f"{url}?{extra}offset={start}&limit={limit}"

    links: Json = {"self": {"href": at(offset)}, "first": {"href": at(0)}}
    if offset > 0:
        links["prev"] = {"href": at(max(offset - limit, 0))}
    if offset + limit < total:
        links["next"] = {"href": at(offset + limit)}
    return links
