"""Request plumbing shared by the Avalon simulator's handlers.

Authentication by ``Avalon-Api-Key``, the error bodies (Avalon's two JSON styles, and
Rails' own answers for unrouted paths and uncaught exceptions), the optional ``.json``
suffix Rails routes accept, and api-pagination's paging headers.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiohttp import web

from adapters.avalon.simulator.state import CONFIG, Json, Viewer

T = TypeVar("T")
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_KEY_HEADER = "Avalon-Api-Key"
DEFAULT_PER_PAGE = 25
ACTIVE_STORAGE = "/rails/active_storage/"
"""ActiveStorage's routes: Rails' own controllers, outside Avalon's token check."""

# Rails' public/*.html pages, shortened; production shows them for non-JSON requests.
_PAGE = "<!DOCTYPE html>\n<html><head><title>{title}</title></head><body>{title}</body></html>\n"


class AvalonError(Exception):
    """Ends a request with ``status``.

    ``body`` is sent as JSON; ``page`` (HTML) instead when the request's format is not
    JSON, where Rails renders a page; neither gives an empty body, typed JSON on a JSON
    request as Rails' ``head`` does.
    """

    def __init__(self, status: int, body: object | None = None, page: str | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.page = page

    def response(self, request: web.Request) -> web.Response:
        """The HTTP answer this error stands for, in the request's format."""
        json_format = wants_json(request)
        if self.page is not None and not json_format:
            return web.Response(status=self.status, text=self.page, content_type="text/html")
        if self.body is not None:
            return web.json_response(self.body, status=self.status)
        if json_format:
            return web.Response(status=self.status, content_type="application/json")
        return web.Response(status=self.status)


def errors(status: int, *messages: str) -> AvalonError:
    """The common error style: ``{"errors": ["...", ...]}``."""
    return AvalonError(status, {"errors": list(messages)})


def error_string(status: int, message: str) -> AvalonError:
    """The supplemental-files error style: ``{"errors": "..."}``."""
    return AvalonError(status, {"errors": message})


def unauthorized() -> AvalonError:
    """No login, or a login that may not do this: 401, empty for JSON (``head``), else
    the restricted-content page (application_controller.rb:176-183, 214-222)."""
    return AvalonError(401, page=_PAGE.format(title="Restricted content"))


def public_exception(status: int, error: str) -> AvalonError:
    """An exception nothing in Avalon rescues: Rails' production answer (PublicExceptions),
    ``{"status": ..., "error": ...}`` for JSON, else its ``public/<status>.html`` page."""
    return AvalonError(
        status, {"status": status, "error": error}, page=_PAGE.format(title=f"{error} ({status})")
    )


def internal_error() -> AvalonError:
    """An uncaught exception in a controller: 500."""
    return public_exception(500, "Internal Server Error")


def not_routed() -> AvalonError:
    """A path or method Rails has no route for: 404 before any controller runs."""
    return public_exception(404, "Not Found")


def _token(request: web.Request) -> str | None:
    # Rails checks `.present?`, so a blank header counts as no header.
    token = request.headers.get(API_KEY_HEADER, "").strip()
    return token or None


@web.middleware
async def avalon_middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Refuse unknown tokens before any controller check; turn AvalonError into responses.

    Unrouted requests never reach Avalon's controllers, so the token is not checked for
    them, nor for ActiveStorage's routes (application_controller.rb:34, 111-131).
    """
    if request.match_info.http_exception is not None:
        return not_routed().response(request)
    token = _token(request)
    known = request.app[CONFIG].api_keys
    if token is not None and token not in known and not request.path.startswith(ACTIVE_STORAGE):
        return web.json_response({"errors": ["Permission denied."]}, status=403)
    try:
        return await handler(request)
    except AvalonError as exc:
        return exc.response(request)


def viewer(request: web.Request) -> Viewer:
    """Who the request acts as (anonymous without a token)."""
    config = request.app[CONFIG]
    token = _token(request)
    user = config.api_keys.get(token) if token is not None else None
    return Viewer(user=user, admin=user is not None and user in config.admins)


def logged_in(request: web.Request) -> Viewer:
    """The request's user; 401 when anonymous."""
    who = viewer(request)
    if who.user is None:
        raise unauthorized()
    return who


def ident(request: web.Request, name: str) -> str:
    """A path identifier without the optional ``.json`` format suffix."""
    return request.match_info[name].removesuffix(".json")


def json_suffix(request: web.Request) -> bool:
    """True when the path names the JSON format (Rails' ``params[:format] == 'json'``)."""
    return request.path.endswith(".json")


def wants_json(request: web.Request) -> bool:
    """Rails' response format: the suffix first, else an Accept of application/json."""
    if json_suffix(request):
        return True
    accept = request.headers.get("Accept", "")
    return accept.split(",")[0].split(";")[0].strip() == "application/json"


def base_url(request: web.Request) -> str:
    """Scheme, host and port the client used to reach the simulator."""
    return str(request.url.origin())


async def read_json_object(request: web.Request) -> Json:
    """The request body as a JSON object; 400 when it is not one."""
    if not request.can_read_body:
        return {}
    try:
        body: Any = await request.json()
    except ValueError:
        raise errors(400, "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise errors(400, "Request body must be a JSON object")
    return body


def _positive_int(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = 0
    return value if value > 0 else default


def paginate(request: web.Request, items: Sequence[T]) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` plus the Total, Per-Page and Link headers api-pagination sends.

    ``page`` is 1-based (<= 0 becomes 1); ``per_page`` defaults to 25 with no maximum.
    first/prev appear past page 1; next/last only while a later page exists.
    """
    page = _positive_int(request.query.get("page"), 1)
    per_page = _positive_int(request.query.get("per_page"), DEFAULT_PER_PAGE)
    total = len(items)
    total_pages = math.ceil(total / per_page)
    start = (page - 1) * per_page
    chunk = list(items[start : start + per_page])
    rels: list[tuple[str, int]] = []
    if page > 1:
        rels += [("first", 1), ("prev", page - 1)]
    if page < total_pages:
        rels += [("last", total_pages), ("next", page + 1)]
    headers = {"Total": str(total), "Per-Page": str(per_page)}
    if rels:
        headers["Link"] = ", ".join(
            f'<{request.url.update_query(page=str(number))}>; rel="{rel}"' for rel, number in rels
        )
    return chunk, headers


def present(value: object) -> bool:
    """Rails' ``present?``: neither missing, false nor blank."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return True


def ruby_truthy(value: object) -> bool:
    """Ruby truthiness of a parameter: only a missing value and ``false`` are false."""
    return value is not None and value is not False
