"""Routes with what they consume and produce, and the HAL JSON response helper.

Every route is added through :func:`add_route`, which records the media types the
handler answers with (checked against ``Accept`` before the handler runs, so a 406
never follows a side effect) and the request media types it takes (checked on
POST, PUT and PATCH bodies: 415 otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute

from gateway.web import hal

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Access = Literal["public", "user", "admin"]

JSON_TYPES: Final = ("application/json", "application/hal+json")
HAL_OUT: Final = (hal.MEDIA_TYPE, "application/json")
NO_STORE: Final = MappingProxyType({"Cache-Control": "no-store", "Pragma": "no-cache"})
"""Headers of answers that hold credentials or facts about them: never to be stored
(RFC 6749 section 5.1, RFC 9111)."""


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
    route belongs to, whose role and credential rules then apply too.
    """

    method: str
    path: str
    handler: Handler
    produces: tuple[str, ...] = HAL_OUT
    consumes: tuple[str, ...] | None = JSON_TYPES
    stream: bool = False
    access: Access = "user"
    backend: str | None = None


@dataclass(frozen=True, slots=True)
class RouteMeta:
    """What the negotiation and body middlewares need to know of a route."""

    produces: tuple[str, ...]
    consumes: tuple[str, ...] | None
    stream: bool = False
    access: Access = "user"
    backend: str | None = None


ROUTE_META: Final = web.AppKey("route_meta", dict[AbstractRoute, RouteMeta])


def add_route(app: web.Application, route: Route) -> None:
    """Register ``route`` and remember its media types."""
    if route.method == "GET":
        added = app.router.add_get(route.path, route.handler)
    else:
        added = app.router.add_route(route.method, route.path, route.handler)
    meta = app.setdefault(ROUTE_META, {})
    meta[added] = RouteMeta(
        route.produces, route.consumes, route.stream, route.access, route.backend
    )
    if route.method == "GET":
        # aiohttp adds HEAD beside GET; it answers the same way.
        for other in added.resource or ():
            if other.method == "HEAD":
                meta[other] = meta[added]


def route_meta(request: web.Request) -> RouteMeta | None:
    """The media types of the route that matched ``request``, if one did."""
    return request.app.get(ROUTE_META, {}).get(request.match_info.route)


def hal_response(
    resource: hal.Resource | Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A ``application/hal+json`` response."""
    data = resource.to_dict() if isinstance(resource, hal.Resource) else resource
    return web.Response(
        status=status,
        body=json.dumps(data, ensure_ascii=False).encode(),
        content_type=hal.MEDIA_TYPE,
        charset="utf-8",
        headers=headers,
    )
