"""The gateway routes of a MediaCentral backend: discovered services, passed through.

Each route stands for a relation the registry advertises: it expands that
relation's upstream template with the request's values, calls the platform, and
answers with the platform's HAL document, every href rewritten
(:mod:`adapters.mediacentral.rewrite`), every embedded folder given the links the
platform leaves out of it and every search hit replaced by its whole asset
(:mod:`adapters.mediacentral.summaries`). A discovered href that answers a bare 404 (no
problem body: the path itself is gone) sends the adapter back to the registry once; if
the service moved, the call is repeated at its new place.

A redirect of the platform is not followed (the session's headers must not travel
to another host): the client gets the same status with the Location rewritten, if
the target is on the platform; a redirect elsewhere is a 503 (404 for a thumbnail), and
only a 200 is relayed (any other 2xx is a 503).
Other platform hrefs (next pages of a folder, ``aa:thumb``, ...) pass through
``/proxy``, their bytes relayed as they arrive, never held whole.

An update (``aa:update-asset-by-id``) answers ``204 No Content`` on the platform
(update-asset-by-id.html), though the same page also names the asset as its answer:
either way the client gets 200 and the asset as it now is, read back when the
platform sent none. An asset's thumbnail image is two links away (``aa:thumb`` leads to
a document naming the image's URL, thumb.html); ``/assets/{id}/thumbnail`` follows
them and relays the image when it lies inside the chosen system's services, or on an
origin of ``thumbnail_origins`` (fetched without credentials;
:mod:`adapters.mediacentral.thumbnails`), and answers 404 when the platform names none,
keeps it on another host (whose address the client must not learn and the session's
credentials must not reach), answers anything but a 2xx, or anything but an ``image/*``
other than SVG.

Errors: the platform's problems map through the upstream-status table with their
``code`` as ``upstream_code``. A 401 that survives a fresh login (registry reads
included) means the platform does not take the gateway's session: that is the
gateway's failure (503 ``upstream-login-failed``), never a 401 that would make the
client log out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urljoin

from aiohttp import ClientResponse, web

from adapters.mediacentral import forms, summaries
from adapters.mediacentral.discovery import HAL_ACCEPT, Service, Services, link_href, split_origin
from adapters.mediacentral.rewrite import PROXY, Rewriter
from gateway.spi import (
    NO_COMPRESSION,
    BadRequest,
    NotFound,
    UpstreamLoginFailed,
    UpstreamResponse,
    UpstreamStatusError,
    UpstreamUnavailable,
    hal,
    hal_response,
    read_json,
    relay,
)

if TYPE_CHECKING:
    from adapters.mediacentral.adapter import MediaCentralAdapter

_JSON_TYPES: Final = ("application/hal+json", "application/json")
_MOVED: Final = frozenset({404, 410})
_UPDATE_RELS: Final = ("aa:update-asset-by-id", "aa:asset-by-id")


def _moved(exc: UpstreamStatusError) -> bool:
    """A bare 404/410: the path is gone (a missing item answers a problem with a code)."""
    return exc.upstream_status in _MOVED and exc.upstream_code is None


def _redirect(response: UpstreamResponse) -> str | None:
    """The absolute target of an upstream redirect, if the answer is one."""
    location = response.headers.get("Location")
    if 300 <= response.status < 400 and location:
        return urljoin(response.url, location)
    return None


class Resources:
    """The handlers of one MediaCentral backend."""

    def __init__(self, adapter: MediaCentralAdapter) -> None:
        self.adapter = adapter
        self.client = adapter.client
        self.discovery = adapter.discovery

    @asynccontextmanager
    async def _session_refused(self) -> AsyncIterator[None]:
        """A 401 that outlived a fresh login becomes the gateway's own 503."""
        try:
            yield
        except UpstreamStatusError as exc:
            if exc.upstream_status != 401:
                raise
            raise UpstreamLoginFailed(
                f"backend {self.adapter.name} does not accept the gateway's upstream session",
                backend=self.adapter.name,
                upstream_status=401,
                errors=exc.errors,
                upstream_code=exc.upstream_code,
            ) from exc

    async def services(self) -> Services:
        """The discovered services; a registry that refuses the session is a 503."""
        async with self._session_refused():
            return await self.discovery.services()

    async def call(
        self,
        rels: str | tuple[str, ...],
        query: Mapping[str, str],
        item_id: str | None = None,
        *,
        method: str = "GET",
        json_body: Any = None,
    ) -> tuple[UpstreamResponse, Services]:
        """Call the service of the first of ``rels`` offered.

        Its template takes ``item_id`` and ``query`` values.
        """
        async with self._session_refused():
            services = await self.discovery.services()
            service = services.require(rels, self.adapter.name)
            try:
                return await self._send(service, query, item_id, method, json_body), services
            except UpstreamStatusError as exc:
                if not _moved(exc):
                    raise
                fresh = await self.discovery.refresh(services)
                moved_to = fresh.get(service.rel)
                if moved_to is None or moved_to.href == service.href:
                    raise
            return await self._send(moved_to, query, item_id, method, json_body), fresh

    async def _send(
        self,
        service: Service,
        query: Mapping[str, str],
        item_id: str | None,
        method: str,
        json_body: Any,
    ) -> UpstreamResponse:
        matcher = service.matcher
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

    def _rewriter(self, request: web.Request, services: Services, url: str) -> Rewriter:
        return Rewriter(services, self.adapter.hrefs(request)(""), url)

    def _answer(
        self,
        request: web.Request,
        response: UpstreamResponse,
        services: Services,
        *,
        image: bool = False,
        asset: bool = False,
    ) -> web.Response:
        """The platform's answer for the client: a redirect passed on, or the document.

        A redirect off the platform is never passed on (404 for an ``image``, else 503);
        a document is passed on only from a 200. An ``asset`` offers its rename form.
        """
        rewriter = self._rewriter(request, services, response.url)
        target = _redirect(response)
        if target is not None:
            if split_origin(target)[0] not in services.origins:
                raise self._refused(image, "redirected off the platform")
            # Not followed here: the client follows the rewritten Location itself. Every
            # redirect of a GET (301, 302, 303, 307, 308) leads a client to GET the
            # target, so the one redirect status of the gateway's table says it: 307.
            return web.Response(status=307, headers={"Location": rewriter.href(target)})
        if response.status != 200:
            raise self._refused(image, f"answered {response.status} where 200 was expected")
        document = rewriter.document(summaries.complete(response.json_object(), services))
        target = link_href(document, "self")
        if not asset or not target:
            return hal_response(document)
        return hal_response(hal.Resource(document).form(forms.RENAME, target, prefill=True))

    def _refused(self, image: bool, why: str) -> NotFound | UpstreamUnavailable:
        """The error for an upstream answer not passed on: 404 for a thumbnail image, 503
        for anything else (the platform failed the gateway, not the client)."""
        if image:
            return NotFound(f"backend {self.adapter.name} offers no thumbnail image here")
        return UpstreamUnavailable(f"backend {self.adapter.name} {why}", backend=self.adapter.name)

    def _image_answer(self, up: ClientResponse) -> None:
        """A thumbnail image answer the client may get: 2xx of an ``image/*`` type other
        than SVG (which carries scripts); else 404. A redirect is :meth:`_answer`'s."""
        if 300 <= up.status < 400:
            return
        kind = up.content_type.lower()
        if not 200 <= up.status < 300 or not kind.startswith("image/") or "svg" in kind:
            raise self._refused(True, "")

    async def _serve(
        self, request: web.Request, rel: str, item_id: str | None = None
    ) -> web.Response:
        response, services = await self.call(rel, request.query, item_id)
        return self._answer(request, response, services)

    async def locations(self, request: web.Request) -> web.Response:
        """``GET /locations``: the root folder."""
        return await self._serve(request, "loc:root-item")

    async def item(self, request: web.Request) -> web.Response:
        """``GET /items/{id}``: a folder or item."""
        return await self._serve(request, "loc:item-by-id", request.match_info["id"])

    async def asset(self, request: web.Request) -> web.Response:
        """``GET /assets/{id}``: an asset."""
        response, services = await self.call(
            "aa:asset-by-id", request.query, request.match_info["id"]
        )
        return self._answer(request, response, services, asset=True)

    async def search(self, request: web.Request) -> web.Response:
        """``GET /search``: simple search, each hit embedded as its whole asset."""
        response, services = await self.call("search:simple-search", request.query)
        if response.status != 200:
            return self._answer(request, response, services)
        page = self._rewriter(request, services, response.url).document(response.json_object())

        async def asset(asset_id: str) -> dict[str, Any] | None:
            try:
                found, known = await self.call("aa:asset-by-id", {}, asset_id)
            except UpstreamStatusError as exc:
                if exc.upstream_status in _MOVED:
                    return None  # gone since the search
                raise
            if found.status != 200:
                return None  # a redirect: not the asset the hit named
            return self._rewriter(request, known, found.url).document(found.json_object())

        return hal_response(await summaries.whole_hits(page, asset))

    async def update_asset(self, request: web.Request) -> web.Response:
        """``PATCH /assets/{id}``: change attributes; the answer is the updated asset."""
        body = await read_json(request)
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object of attribute groups")
        body = forms.RENAME.accept(body)
        asset_id = request.match_info["id"]
        response, services = await self.call(
            _UPDATE_RELS, {}, asset_id, method="PATCH", json_body=body
        )
        if response.status < 300 and not response.body.strip():
            response, services = await self.call("aa:asset-by-id", {}, asset_id)
        return self._answer(request, response, services, asset=True)

    async def _image_of(self, asset_id: str) -> tuple[str | None, Services]:
        """The URL of the asset's thumbnail image, if the platform names one."""
        response, services = await self.call("aa:asset-by-id", {}, asset_id)
        thumb = link_href(response.json_object(), "aa:thumb")
        thumb_url = urljoin(response.url, thumb) if thumb else ""
        if not services.inside(thumb_url):
            return None, services  # none, or elsewhere: the session goes to the platform only
        return await self.adapter.thumbnails.image_of(thumb_url), services

    async def thumbnail(self, request: web.Request) -> web.StreamResponse:
        """``GET /assets/{id}/thumbnail``: the image the asset's ``aa:thumb`` names."""
        asset_id = request.match_info["id"]
        image, services = await self._image_of(asset_id)
        place = self.adapter.thumbnails.place(image, services) if image else None
        if image is None or place is None:
            raise NotFound(f"backend {self.adapter.name} offers no thumbnail of asset {asset_id}")
        return await self._relay(request, image, services, image=True, listed=place == "listed")

    async def passthrough(self, request: web.Request) -> web.StreamResponse:
        """``GET /proxy/...``: an upstream href no route stands for, inside a service.

        HAL documents are rewritten; anything else (images, ...) is relayed as it comes.
        """
        tail = request.rel_url.raw_path[len(self.adapter.path + PROXY) :]
        if any(part in (".", "..") for part in unquote(tail).split("/")):
            raise NotFound(f"nothing is served at {request.path}")
        services = await self.services()
        origin = services.origin_of(tail)
        if origin is None:
            raise NotFound(f"backend {self.adapter.name} serves nothing at {request.path}")
        query = request.rel_url.raw_query_string
        return await self._relay(request, origin + tail + (f"?{query}" if query else ""), services)

    async def _relay(
        self,
        request: web.Request,
        url: str,
        services: Services,
        *,
        image: bool = False,
        listed: bool = False,
    ) -> web.StreamResponse:
        """GET ``url`` of the platform: HAL rewritten, anything else relayed as it comes.

        Only a 200 is relayed (503 else, 404 for an ``image``, which must be one). A
        ``listed`` image host (``thumbnail_origins``) gets no credentials, and its
        redirects are not passed on.
        """
        headers = {"Accept": request.headers.get("Accept") or "*/*", **NO_COMPRESSION}
        auth = self.client.auth.active()
        renew = auth.renewable and not listed
        async with self._session_refused():
            while True:
                async with self.client.stream(
                    "GET", url, headers=headers, transfer=True, authenticate=not listed
                ) as up:
                    if up.status == 401 and renew:
                        renew = False  # expired meanwhile: log in again, once
                        await auth.invalidate()
                        continue
                    if image:
                        self._image_answer(up)
                        if listed and 300 <= up.status < 400:
                            raise self._refused(True, "")
                    else:
                        await self.client.check(up)
                    if up.content_type not in _JSON_TYPES and not 300 <= up.status < 400:
                        if up.status != 200:
                            raise self._refused(False, f"answered {up.status}, not 200")
                        return await relay(request, up)
                    body = await up.read()
                    read = UpstreamResponse(
                        up.status, up.headers, body, str(up.url), self.client.backend
                    )
                    return self._answer(request, read, services, image=image)
