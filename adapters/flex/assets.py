"""Assets of a Flex backend: list, create, show, update, metadata and actions.

Actions: ``POST .../actions {"action": name}`` takes the documented action types only
(anything else is the client's 400, never sent). Flex has no 409: it refuses an action
with a 400, or with a 200 carrying ``errors`` (:mod:`adapters.flex.calls`). The adapter
tells a refusal about the asset's state from other refusals by asking which actions the
asset allows right after (Flex lists them as ``[{"action": name, "options": {}}]``):
when the action is not among them, the client gets 409 (transient: retry once the state
changed) with Flex's message. Otherwise the refusal stands as a 400.

Metadata goes to Flex as the working Flex clients send it: the instance as JSON, in
Flex's media type (``application/vnd.nativ.mio.v1+json``). A client's XML document is
parsed safely and sent as its JSON instance; nothing is sent as ``application/xml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from adapters.flex import forms, listing, metadata
from adapters.flex.calls import Json, ask, created, send
from adapters.flex.forms import ACTION_TYPES
from adapters.flex.listing import Source
from adapters.flex.mapping import Rewriter, number, seg
from adapters.flex.relations import ASSETS, KEYFRAME_IMAGE, PAGED
from gateway.spi import (
    BadRequest,
    Conflict,
    QueryParam,
    UpstreamStatusError,
    UpstreamUnavailable,
    hal,
    hal_response,
    page_params,
    read_json,
)

if TYPE_CHECKING:
    from adapters.flex.adapter import FlexAdapter

SORT_FIELDS: Final = ("id", "name", "displayName", "created", "lastModified")
ASSET_FILTERS: Final = (
    QueryParam("name", description="part of the name, in any case"),
    QueryParam("fql", description="a query in Flex's own query language"),
    QueryParam(
        "sort",
        description="the field to sort by, descending with a leading -",
        enum=(*SORT_FIELDS, *(f"-{f}" for f in SORT_FIELDS)),
    ),
)
"""The query parameters of the asset list besides paging (:func:`_filters` reads them)."""


def asset(rw: Rewriter, data: Json) -> hal.Resource:
    """An asset as HAL, linking its sub-resources."""
    base = f"/assets/{seg(data.get('id', ''))}"
    resource = rw.resource(data, base)
    href = rw.href

    def paged(rel: str, suffix: str) -> None:
        resource.link(rel, href(base + suffix + PAGED), templated=True)

    resource.link("flex:metadata", href(base + "/metadata"))
    paged("flex:annotations", "/annotations")
    paged("flex:keyframes", "/keyframes")
    image = KEYFRAME_IMAGE.replace("{id}", seg(data.get("id", "")))
    resource.link("flex:keyframe-image", href(image), templated=True)
    resource.link("flex:actions", href(base + "/actions"))
    if data.get("isGroup"):
        paged("flex:members", "/members")
    paged("flex:parents", "/parents")
    paged("flex:children", "/children")
    paged("flex:comments", "/comments")
    paged("flex:history", "/history")
    return resource.form(forms.UPDATE_ASSET, prefill=True)


def _filters(request: web.Request) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Matrix filters for the upstream and the query values to keep on paging links."""
    upstream: list[tuple[str, str]] = []
    kept: dict[str, str] = {}
    for name in ("name", "fql"):
        value = request.query.get(name)
        if value:
            upstream.append((name, value))
            kept[name] = value
    sort = request.query.get("sort")
    if sort:
        field = sort.removeprefix("-")
        if field not in SORT_FIELDS:
            raise BadRequest(f"query parameter sort must be one of {', '.join(SORT_FIELDS)}")
        upstream += [("sortBy", field), ("sort", "desc" if sort.startswith("-") else "asc")]
        kept["sort"] = sort
    return upstream, kept


class Assets:
    """The handlers of one Flex backend's assets."""

    def __init__(self, adapter: FlexAdapter) -> None:
        self.adapter = adapter
        self.client = adapter.client

    async def _asset(self, rw: Rewriter, asset_id: str) -> hal.Resource:
        response = await ask(self.client, "GET", f"/api/assets/{asset_id}")
        return asset(rw, response.json_object())

    async def list_assets(self, request: web.Request) -> web.Response:
        """``GET assets``: one page, items embedded as ``flex:asset``."""
        rw = self.adapter.rewriter(request)
        page, per_page = page_params(request)
        filters, kept = _filters(request)
        source = Source("/api/assets", "assets", filters=tuple(filters))
        doc = await listing.page(
            self.client,
            source,
            page,
            per_page,
            rw.href(ASSETS),
            "flex:asset",
            lambda item: asset(rw, item),
            **kept,
        )
        doc.form(forms.CREATE_ASSET, rw.href("/assets"))
        return hal_response(doc.link("up", rw.href("")))

    async def create(self, request: web.Request) -> web.Response:
        """``POST assets``: a placeholder asset; 201 with ``Location``."""
        rw = self.adapter.rewriter(request)
        # Flex names what is missing itself; only what is sent is checked here.
        body = forms.CREATE_ASSET.accept(await read_json(request), require=False)
        response = await send(self.client, "POST", "/api/assets", body)
        return created(asset(rw, response.json_object()))

    async def show(self, request: web.Request) -> web.Response:
        """``GET assets/{id}``."""
        asset_id = number(request.match_info["id"], "asset")
        return hal_response(await self._asset(self.adapter.rewriter(request), asset_id))

    async def update(self, request: web.Request) -> web.Response:
        """``PUT assets/{id}``: the editable properties; 200 with the asset."""
        rw = self.adapter.rewriter(request)
        asset_id = number(request.match_info["id"], "asset")
        body = forms.UPDATE_ASSET.accept(await read_json(request))
        response = await send(self.client, "PUT", f"/api/assets/{asset_id}", body)
        return hal_response(asset(rw, response.json_object()))

    # -- metadata ----------------------------------------------------------------------

    def _metadata(self, rw: Rewriter, asset_id: str, data: Json) -> hal.Resource:
        base = f"/assets/{asset_id}/metadata"
        definition = data.get("definition")
        doc = hal.Resource(
            {"definition": rw.value(definition), "instance": rw.value(data.get("instance"))}
        )
        doc.link("self", rw.href(base))
        doc.link("alternate", rw.href(base + ".xml"), type=metadata.XML_TYPE, title="As XML")
        doc.link("flex:asset", rw.href(f"/assets/{asset_id}"))
        try:
            current = {"instance": metadata.to_xml(data.get("instance")).decode()}
        except BadRequest:  # an instance no XML document holds: the form starts empty
            current = {}
        return doc.form(forms.UPDATE_METADATA, prefill=current)

    async def _upstream_metadata(self, asset_id: str) -> Json:
        return (await ask(self.client, "GET", f"/api/assets/{asset_id}/metadata")).json_object()

    async def show_metadata(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/metadata``: the instance as JSON, the XML as ``alternate``."""
        asset_id = number(request.match_info["id"], "asset")
        data = await self._upstream_metadata(asset_id)
        return hal_response(self._metadata(self.adapter.rewriter(request), asset_id, data))

    async def metadata_xml(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/metadata.xml``: the metadata as an XML document."""
        asset_id = number(request.match_info["id"], "asset")
        instance = (await self._upstream_metadata(asset_id)).get("instance")
        try:
            document = metadata.to_xml(instance)
        except BadRequest as exc:
            raise UpstreamUnavailable(
                f"backend {self.adapter.name} answered metadata that is no XML document "
                f"({exc.detail})",
                backend=self.adapter.name,
            ) from exc
        return web.Response(body=document, content_type=metadata.XML_TYPE, charset="utf-8")

    async def update_metadata(self, request: web.Request) -> web.Response:
        """``PUT assets/{id}/metadata``: an XML document, or ``{"instance": ...}`` as JSON,
        the instance an object or (as the form has it) the XML document's text.

        Either way Flex gets the instance as JSON. A client's XML is parsed safely, and a
        JSON instance checked to have an XML document, before anything is sent: a refused
        body never reaches the upstream.
        """
        asset_id = number(request.match_info["id"], "asset")
        if request.content_type in metadata.XML_TYPES:
            sent = metadata.to_json(metadata.parse(await request.read()))
        else:
            body: Any = await read_json(request)
            instance = body.get("instance") if isinstance(body, dict) else None
            if isinstance(instance, dict):
                metadata.to_xml(instance)  # the metadata.xml form must exist for it
                sent = instance
            else:
                text = forms.UPDATE_METADATA.accept(body)["instance"]
                sent = metadata.to_json(metadata.parse(text.encode()))
        response = await send(self.client, "PUT", f"/api/assets/{asset_id}/metadata", sent)
        answer = response.json() if response.body else None
        if not isinstance(answer, dict) or "instance" not in answer:
            # Flex says it answers the updated metadata; without it, show what was stored.
            answer = {"definition": None, "instance": sent}
        return hal_response(self._metadata(self.adapter.rewriter(request), asset_id, answer))

    # -- actions -----------------------------------------------------------------------

    async def _available(self, asset_id: str) -> list[str]:
        response = await ask(self.client, "GET", f"/api/assets/{asset_id}/actions")
        names = [i.get("action") for i in response.json_list() if isinstance(i, dict)]
        return [n for n in names if isinstance(n, str)]

    async def list_actions(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/actions``: what the asset's state allows now."""
        rw = self.adapter.rewriter(request)
        asset_id = number(request.match_info["id"], "asset")
        available = await self._available(asset_id)
        doc = hal.Resource(
            {"actions": [{"action": name} for name in available], "actionTypes": ACTION_TYPES}
        )
        doc.link("self", rw.href(f"/assets/{asset_id}/actions"))
        doc.link("flex:asset", rw.href(f"/assets/{asset_id}"))
        return hal_response(doc.form(forms.ACT))

    async def perform(self, request: web.Request) -> web.StreamResponse:
        """``POST assets/{id}/actions``: 200 with the asset, 204 after destroy, 409 on state."""
        rw = self.adapter.rewriter(request)
        asset_id = number(request.match_info["id"], "asset")
        action = forms.ACT.accept(await read_json(request))["action"]
        path = f"/api/assets/{asset_id}/actions"
        try:
            response = await send(self.client, "POST", path, {"action": action})
        except UpstreamStatusError as refused:
            if refused.http_status != 400 or action in await self._available(asset_id):
                raise
            message = "; ".join(refused.errors) or "the action is not allowed now"
            raise Conflict(
                f"backend {self.adapter.name} refused to {action} asset {asset_id} in its "
                f"current state: {message}",
                extra={
                    "backend": self.adapter.name,
                    "upstream_status": refused.upstream_status,
                    "errors": refused.errors,
                },
            ) from refused
        if response.status == 204 or not response.body:
            return web.Response(status=204)
        return hal_response(asset(rw, response.json_object()))
