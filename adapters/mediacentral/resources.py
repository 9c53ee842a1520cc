"""The gateway routes of a MediaCentral backend: discovered services, passed through.

Each route stands for a relation the registry advertises: it expands that
relation's upstream template with the request's values, calls the platform, and
answers with the platform's HAL document, every href rewritten
(:mod:`adapters.mediacentral.rewrite`). A discovered href that answers a bare 404
(no problem body: the path itself is gone) sends the adapter back to the registry
once; if the service moved, the call is repeated at its new place.

Errors: the platform's problems map through the upstream-status table with their
``code`` as ``upstream_code``. A 401 that survives a fresh login means the platform
does not take the gateway's session: that is the gateway's failure (503
``upstream-login-failed``), never a 401 that would make the client log out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urljoin

from aiohttp import web

from adapters.mediacentral.discovery import HAL_ACCEPT, Service, Services
from adapters.mediacentral.rewrite import PROXY, Rewriter
from adapters.mediacentral.templates import TemplateMatcher
from gateway import hal
from gateway.bodies import read_json
from gateway.errors import (
    BadRequest,
    NotFound,
    UpstreamError,
    UpstreamLoginFailed,
    UpstreamStatusError,
    UpstreamUnavailable,
)
from gateway.routing import hal_response
from gateway.upstream import UpstreamResponse
from gateway.urls import public_base

if TYPE_CHECKING:
    from adapters.mediacentral.adapter import MediaCentralAdapter

_JSON_TYPES: Final = ("application/hal+json", "application/json")
_MOVED: Final = frozenset({404, 410})


def _moved(exc: UpstreamStatusError) -> bool:
    """A bare 404/410: the path is gone (a missing item answers a problem with a code)."""
    return exc.upstream_status in _MOVED and exc.upstream_code is None


class Resources:
    """The handlers of one MediaCentral backend."""

    def __init__(self, adapter: MediaCentralAdapter) -> None:
        self.adapter = adapter
        self.client = adapter.client
        self.discovery = adapter.discovery

    def _session_refused(self, exc: UpstreamStatusError) -> UpstreamError:
        if exc.upstream_status != 401:
            return exc
        return UpstreamLoginFailed(
            f"backend {self.adapter.name} does not accept the gateway's upstream session",
            backend=self.adapter.name,
            upstream_status=401,
            errors=exc.errors,
            upstream_code=exc.upstream_code,
        )

    async def call(
        self,
        rel: str,
        query: Mapping[str, str],
        item_id: str | None = None,
        *,
        method: str = "GET",
        json_body: Any = None,
    ) -> tuple[UpstreamResponse, Services]:
        """Call the service of ``rel``; its template takes ``item_id`` and ``query`` values."""
        services = await self.discovery.services()
        service = services.require(rel, self.adapter.name)
        try:
            return await self._send(service, query, item_id, method, json_body), services
        except UpstreamStatusError as exc:
            if not _moved(exc):
                raise self._session_refused(exc) from exc
            fresh = await self.discovery.refresh(services)
            moved_to = fresh.get(rel)
            if moved_to is None or moved_to.href == service.href:
                raise
        try:
            return await self._send(moved_to, query, item_id, method, json_body), fresh
        except UpstreamStatusError as exc:
            raise self._session_refused(exc) from exc

    async def _send(
        self,
        service: Service,
        query: Mapping[str, str],
        item_id: str | None,
        method: str,
        json_body: Any,
    ) -> UpstreamResponse:
        matcher = TemplateMatcher.parse(service.path_template)
        values = {k: query[k] for k in hal.variables(service.href) if k in query}
        if item_id is not None and matcher.path_variables:
            values[matcher.path_variables[0]] = item_id
        url = hal.expand(service.href, **values) if service.templated else service.href
        return await self.client.request(
            method,
            url,
            json_body=json_body,
            headers={"Accept": HAL_ACCEPT},
        )

    def _document(
        self, request: web.Request, response: UpstreamResponse, services: Services
    ) -> dict[str, Any]:
        rewriter = Rewriter(services, public_base(request) + self.adapter.path)
        location = response.headers.get("Location")
        if 300 <= response.status < 400 and location:
            # Redirects are not followed here: the session's headers must not travel to
            # another host. The client follows the rewritten Location itself.
            target = urljoin(response.url, location)
            raise web.HTTPTemporaryRedirect(location=rewriter.href(target))
        doc = response.json()
        if not isinstance(doc, dict):
            raise UpstreamUnavailable(
                f"backend {self.adapter.name} answered with something other than a document",
                backend=self.adapter.name,
            )
        return rewriter.document(doc)

    async def _answer(
        self, request: web.Request, rel: str, item_id: str | None = None
    ) -> web.Response:
        response, services = await self.call(rel, request.query, item_id)
        return hal_response(self._document(request, response, services))

    async def locations(self, request: web.Request) -> web.Response:
        """``GET /locations``: the root folder."""
        return await self._answer(request, "loc:root-item")

    async def item(self, request: web.Request) -> web.Response:
        """``GET /items/{id}``: a folder or item."""
        return await self._answer(request, "loc:item-by-id", request.match_info["id"])

    async def asset(self, request: web.Request) -> web.Response:
        """``GET /assets/{id}``: an asset."""
        return await self._answer(request, "aa:asset-by-id", request.match_info["id"])

    async def search(self, request: web.Request) -> web.Response:
        """``GET /search``: simple search."""
        return await self._answer(request, "search:simple-search")

    async def update_asset(self, request: web.Request) -> web.Response:
        """``PATCH /assets/{id}``: change attributes; the answer is the updated asset."""
        body = await read_json(request)
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object of attribute groups")
        services = await self.discovery.services()
        rel = "aa:update-asset-by-id" if services.get("aa:update-asset-by-id") else "aa:asset-by-id"
        response, services = await self.call(
            rel, {}, request.match_info["id"], method="PATCH", json_body=body
        )
        return hal_response(self._document(request, response, services))

    async def passthrough(self, request: web.Request) -> web.Response:
        """``GET /proxy/...``: an upstream href no route stands for, inside a service."""
        tail = request.rel_url.raw_path[len(self.adapter.path + PROXY) :]
        if any(part in (".", "..") for part in unquote(tail).split("/")):
            raise NotFound(f"nothing is served at {request.path}")
        services = await self.discovery.services()
        if not services.serves(tail):
            raise NotFound(f"backend {self.adapter.name} serves nothing at {request.path}")
        query = request.rel_url.raw_query_string
        try:
            response = await self.client.request(
                "GET",
                self.client.base_url + tail + (f"?{query}" if query else ""),
                headers={"Accept": request.headers.get("Accept") or "*/*"},
            )
        except UpstreamStatusError as exc:
            raise self._session_refused(exc) from exc
        if response.content_type in _JSON_TYPES or 300 <= response.status < 400:
            return hal_response(self._document(request, response, services))
        return web.Response(
            body=response.body, content_type=response.content_type or "application/octet-stream"
        )
