"""Routes with what they consume and produce, and the HAL JSON response helper.

Every route is added through :func:`add_route`, which records the media types the
handler answers with (checked against ``Accept`` before the handler runs, so a 406
never follows a side effect) and the request media types it takes (checked on
POST, PUT and PATCH bodies: 415 otherwise), beside what describes the route to
clients: its query parameters, the statuses it answers with, a summary
(:mod:`gateway.api.openapi` reads them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute

from gateway.web import hal, halforms, jsoncodec, statuses

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Access = Literal["public", "user", "admin"]

JSON_TYPES: Final = ("application/json", "application/hal+json")
HAL_OUT: Final = (hal.MEDIA_TYPE, "application/json", halforms.MEDIA_TYPE)
"""What HAL routes answer with: HAL (also for ``*/*`` and no ``Accept``), the same as plain
JSON, and HAL-FORMS (HAL with the templates of the writes the caller may make) for a client
that asks for it."""
UPSTREAM_ERRORS: Final = tuple(
    sorted(
        {
            *statuses.UPSTREAM_STATUS_MAP.values(),
            statuses.UPSTREAM_CONNECT_FAILED,
            statuses.UPSTREAM_TIMED_OUT,
        }
    )
)
"""Every status an upstream's failure can reach the client as: the ``errors`` of a route
that calls upstreams without belonging to one backend (a backend's routes have them)."""
NO_STORE: Final = MappingProxyType({"Cache-Control": "no-store", "Pragma": "no-cache"})
"""Headers of answers that hold credentials or facts about them: never to be stored
(RFC 6749 section 5.1, RFC 9111)."""


@dataclass(frozen=True, slots=True)
class QueryParam:
    """One query parameter a route reads: its name, JSON Schema type and bounds."""

    name: str
    type: Literal["string", "integer", "boolean"] = "string"
    description: str = ""
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Route:
    """A route: method, path, handler and its media types.

    ``produces`` lists what the handler can answer with (the first is used when
    the client does not mind; empty for content passed on in its stored type);
    ``consumes`` the request body types it takes, with ``type/*`` wildcards allowed;
    ``None`` means the handler checks bodies itself.
    ``stream`` marks handlers that stream the body through instead of reading it:
    their limit is ``server.max_upload_bytes``, enforced while streaming (see
    :func:`gateway.web.bodies.stream_body`).
    ``access`` says who may call it: ``"public"`` anybody, ``"user"`` (the default)
    any logged-in identity, ``"admin"`` admins only; ``backend`` names the backend a
    route belongs to, whose role and credential rules then apply too. ``credential``
    admits a request with a credential of the route's own (a scraper's token) before
    any login is asked for; a request it admits is served as nobody.

    The rest only describes the route: ``summary`` (the handler's first docstring
    line when empty), the ``query`` parameters it reads, the statuses below 400 it
    ``answers`` with (empty: the method's usual one, see :func:`success_statuses`),
    and the error statuses its handler raises itself (``errors``) beyond those the
    middlewares, the access rules and, for a backend's routes, the upstream give.
    """

    method: str
    path: str
    handler: Handler
    produces: tuple[str, ...] = HAL_OUT
    consumes: tuple[str, ...] | None = JSON_TYPES
    stream: bool = False
    access: Access = "user"
    backend: str | None = None
    summary: str = ""
    query: tuple[QueryParam, ...] = ()
    answers: tuple[int, ...] = ()
    errors: tuple[int, ...] = ()
    credential: Callable[[web.Request], bool] | None = None


@dataclass(frozen=True, slots=True)
class RouteMeta:
    """What the middlewares need to know of a route, and what describes it to clients."""

    produces: tuple[str, ...]
    consumes: tuple[str, ...] | None
    stream: bool = False
    access: Access = "user"
    backend: str | None = None
    summary: str = ""
    query: tuple[QueryParam, ...] = ()
    answers: tuple[int, ...] = ()
    errors: tuple[int, ...] = ()
    path: str = ""
    """The path as declared, ``{name:regex}`` placeholders and all."""
    credential: Callable[[web.Request], bool] | None = None
    """Whether a request carries the route's own credential (see :class:`Route`)."""

    @classmethod
    def of(cls, route: Route) -> RouteMeta:
        """The metadata of ``route``, its summary taken from the handler when it has none."""
        summary = route.summary or _first_line(route.handler.__doc__)
        return cls(
            route.produces,
            route.consumes,
            route.stream,
            route.access,
            route.backend,
            summary,
            route.query,
            route.answers or success_statuses(route.method),
            route.errors,
            route.path,
            route.credential,
        )


_USUAL_SUCCESS: Final = MappingProxyType(
    {"GET": (200,), "POST": (201,), "PUT": (200,), "PATCH": (200,), "DELETE": (204,)}
)


def success_statuses(method: str) -> tuple[int, ...]:
    """The status a handler of ``method`` usually answers with when it succeeds."""
    return _USUAL_SUCCESS.get(method, (200,))


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].strip()


ROUTE_META: Final = web.AppKey("route_meta", dict[AbstractRoute, RouteMeta])


def add_route(app: web.Application, route: Route) -> None:
    """Register ``route`` and remember its media types."""
    if route.method == "GET":
        added = app.router.add_get(route.path, route.handler)
    else:
        added = app.router.add_route(route.method, route.path, route.handler)
    meta = app.setdefault(ROUTE_META, {})
    meta[added] = RouteMeta.of(route)
    if route.method == "GET":
        # aiohttp adds HEAD beside GET; it answers the same way.
        for other in added.resource or ():
            if other.method == "HEAD":
                meta[other] = meta[added]


def route_meta(request: web.Request) -> RouteMeta | None:
    """The media types of the route that matched ``request``, if one did."""
    return request.app.get(ROUTE_META, {}).get(request.match_info.route)


UNMATCHED: Final = "unmatched"
"""The route template of a request no route serves (metrics, logs)."""
_PATTERN: Final = re.compile(r"\{([_a-zA-Z][_a-zA-Z0-9]*):[^{}]+\}")
"""A placeholder with a pattern, ``{name:regex}``."""


@functools.lru_cache(maxsize=1024)
def _template(path: str, backend: str | None) -> str:
    path = _PATTERN.sub(r"{\1}", path)
    if backend is not None:
        # Every backend's routes have one template: the backend is a label of its own.
        own = f"/backends/{backend}"
        if path == own or path.startswith(own + "/"):
            path = "/backends/{name}" + path[len(own) :]
    return path


def route_label(request: web.Request) -> str:
    """The template of the route serving ``request`` (see :func:`route_template`):
    :data:`UNMATCHED` when none does."""
    meta = route_meta(request)
    if meta is not None:
        return route_template(meta)
    resource = request.match_info.route.resource  # a route added without add_route
    return resource.canonical if resource is not None else UNMATCHED


def route_template(meta: RouteMeta) -> str:
    """The route's path as metrics and logs name it: ``/backends/{name}/media-objects/{id}``.

    Placeholders lose their patterns, and a backend's own name in its routes' paths
    becomes ``{name}``; never a path a client chose.
    """
    return _template(meta.path, meta.backend)


def hal_response(
    resource: hal.Resource | Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A ``application/hal+json`` response, or ``application/prs.hal-forms+json`` (with the
    resource's templates) when the request negotiated HAL-FORMS."""
    data = resource.to_dict() if isinstance(resource, hal.Resource) else resource
    forms = halforms.offered() is not None
    return web.Response(
        status=status,
        body=jsoncodec.dumps(data),
        content_type=halforms.MEDIA_TYPE if forms else hal.MEDIA_TYPE,
        charset="utf-8",
        headers=headers,
    )
