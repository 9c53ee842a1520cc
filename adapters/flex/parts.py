"""What hangs off a Flex asset: annotations, keyframes (and their images), child file
assets, comments and history; and the helpers the asset sub-resources share.

Flex has no GET for one annotation: the gateway looks for it through the asset's list,
at most ``SEARCH_LIMIT`` annotations deep. An annotation beyond that cannot be told
apart from a missing one, so that answers 503 saying so rather than a false 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from adapters.flex import listing
from adapters.flex.assets import asset
from adapters.flex.calls import Json, ask, created, json_object, send
from adapters.flex.listing import Source
from adapters.flex.mapping import Rewriter, number
from adapters.flex.relations import PAGED
from gateway.spi import (
    NO_COMPRESSION,
    NotFound,
    UpstreamUnavailable,
    hal,
    hal_response,
    page_params,
    read_json,
    relay,
)

if TYPE_CHECKING:
    from adapters.flex.adapter import FlexAdapter

_SEARCH_PAGES: Final = 20
SEARCH_LIMIT: Final = _SEARCH_PAGES * listing.UPSTREAM_LIMIT
"""How many of an asset's annotations are looked through for one by id."""


def event(rw: Rewriter, data: Json) -> hal.Resource:
    """An event; a file it refers to is linked as ``flex:file``."""
    resource = rw.resource(data)
    found = rw.value(data.get("eventData"))
    files = rw.href("/files/")
    for value in found.values() if isinstance(found, dict) else ():
        if isinstance(value, dict) and str(value.get("href", "")).startswith(files):
            resource.add_link("flex:file", value["href"], name=str(value.get("name") or ""))
    return resource


def _part(rw: Rewriter, data: Json, asset_id: str, up: str) -> hal.Resource:
    resource = rw.resource(data)
    resource.link("flex:asset", rw.href(f"/assets/{asset_id}"))
    resource.link("up", rw.href(f"/assets/{asset_id}/{up}"))
    return resource


def keyframe(rw: Rewriter, data: Json, asset_id: str) -> hal.Resource:
    """A keyframe, linking its image."""
    resource = _part(rw, data, asset_id, "keyframes")
    image = resource.href("self")
    if image is not None:
        kind = data.get("mimeType")
        resource.link("flex:keyframe-image", image + "/image", type=kind or None)
    return resource


class Parts:
    """The handlers of the sub-resources of one Flex backend's assets."""

    def __init__(self, adapter: FlexAdapter) -> None:
        self.adapter = adapter
        self.client = adapter.client

    async def _list(
        self,
        request: web.Request,
        suffix: str,
        key: str,
        rel: str,
        to_hal: Callable[[Rewriter, Json, str], hal.Resource],
    ) -> web.Response:
        return await sub_list(self.adapter, request, suffix, key, rel, to_hal)

    # -- annotations -------------------------------------------------------------------

    def _annotation(self, rw: Rewriter, data: Json, asset_id: str) -> hal.Resource:
        return _part(rw, data, asset_id, "annotations")

    async def list_annotations(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/annotations``."""
        return await self._list(
            request, "annotations", "annotations", "flex:annotation", self._annotation
        )

    async def create_annotations(self, request: web.Request) -> web.Response:
        """``POST assets/{id}/annotations``: one object (201, Location) or an array (201)."""
        rw = self.adapter.rewriter(request)
        asset_id = number(request.match_info["id"], "asset")
        body: Any = await read_json(request)
        path = f"/api/assets/{asset_id}/annotations"
        response = await send(self.client, "POST", path, body)
        if not isinstance(body, list):
            return created(self._annotation(rw, response.json_object(), asset_id))
        answer = response.json_list()
        doc = hal.Resource({"count": len(answer)})
        doc.link("self", rw.href(f"/assets/{asset_id}/annotations"))
        doc.embed(
            "flex:annotation",
            [self._annotation(rw, a, asset_id) for a in answer if isinstance(a, dict)],
        )
        return hal_response(doc, status=201)

    async def show_annotation(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/annotations/{annotation_id}``, found in Flex's list."""
        rw = self.adapter.rewriter(request)
        asset_id = number(request.match_info["id"], "asset")
        wanted = number(request.match_info["annotation_id"], "annotation")
        source = Source(f"/api/assets/{asset_id}/annotations", "annotations")
        # Flex has no GET for one annotation: look through the list, a bounded way.
        for offset in range(0, SEARCH_LIMIT, listing.UPSTREAM_LIMIT):
            window = await listing.fetch(self.client, source, offset, listing.UPSTREAM_LIMIT)
            for item in window.items:
                if str(item.get("id")) == wanted:
                    return hal_response(self._annotation(rw, item, asset_id))
            if offset + len(window.items) >= window.total or not window.items:
                raise NotFound(f"asset {asset_id} has no annotation {wanted}")
        raise UpstreamUnavailable(
            f"asset {asset_id} has more than {SEARCH_LIMIT} annotations and backend "
            f"{self.adapter.name} cannot fetch one by id: annotation {wanted} was not among "
            f"the first {SEARCH_LIMIT}; find it in the annotations list instead",
            backend=self.adapter.name,
        )

    async def update_annotation(self, request: web.Request) -> web.Response:
        """``PUT assets/{id}/annotations/{annotation_id}``."""
        rw = self.adapter.rewriter(request)
        asset_id = number(request.match_info["id"], "asset")
        annotation_id = number(request.match_info["annotation_id"], "annotation")
        path = f"/api/assets/{asset_id}/annotations/{annotation_id}"
        response = await send(self.client, "PUT", path, await json_object(request))
        return hal_response(self._annotation(rw, response.json_object(), asset_id))

    async def delete_annotation(self, request: web.Request) -> web.Response:
        """``DELETE assets/{id}/annotations/{annotation_id}``: 204."""
        asset_id = number(request.match_info["id"], "asset")
        annotation_id = number(request.match_info["annotation_id"], "annotation")
        await ask(self.client, "DELETE", f"/api/assets/{asset_id}/annotations/{annotation_id}")
        return web.Response(status=204)

    # -- keyframes ---------------------------------------------------------------------

    def _keyframe_path(self, request: web.Request) -> tuple[str, str]:
        asset_id = number(request.match_info["id"], "asset")
        keyframe_id = number(request.match_info["keyframe_id"], "keyframe")
        return asset_id, f"/api/assets/{asset_id}/keyframes/{keyframe_id}"

    async def list_keyframes(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/keyframes``."""
        return await self._list(request, "keyframes", "keyframes", "flex:keyframe", keyframe)

    async def create_keyframe(self, request: web.Request) -> web.Response:
        """``POST assets/{id}/keyframes``: 201 with ``Location``."""
        rw = self.adapter.rewriter(request)
        asset_id = number(request.match_info["id"], "asset")
        path = f"/api/assets/{asset_id}/keyframes"
        response = await send(self.client, "POST", path, await json_object(request))
        return created(keyframe(rw, response.json_object(), asset_id))

    async def show_keyframe(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/keyframes/{keyframe_id}``."""
        asset_id, path = self._keyframe_path(request)
        data = (await ask(self.client, "GET", path)).json_object()
        return hal_response(keyframe(self.adapter.rewriter(request), data, asset_id))

    async def update_keyframe(self, request: web.Request) -> web.Response:
        """``PUT assets/{id}/keyframes/{keyframe_id}``."""
        asset_id, path = self._keyframe_path(request)
        response = await send(self.client, "PUT", path, await json_object(request))
        return hal_response(
            keyframe(self.adapter.rewriter(request), response.json_object(), asset_id)
        )

    async def delete_keyframe(self, request: web.Request) -> web.Response:
        """``DELETE assets/{id}/keyframes/{keyframe_id}``: 204."""
        _, path = self._keyframe_path(request)
        await ask(self.client, "DELETE", path)
        return web.Response(status=204)

    async def keyframe_image(self, request: web.Request) -> web.StreamResponse:
        """``GET assets/{id}/keyframes/{keyframe_id}/image``: the bytes, streamed through."""
        _, path = self._keyframe_path(request)
        return await stream(self.adapter, request, path + "/image")

    # -- children, comments, history ---------------------------------------------------

    async def children(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/children``: child file assets as ``flex:asset``."""
        return await self._list(
            request, "children", "assets", "flex:asset", lambda rw, data, _: asset(rw, data)
        )

    def _comment(self, rw: Rewriter, data: Json, asset_id: str) -> hal.Resource:
        return _part(rw, data, asset_id, "comments")

    async def list_comments(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/comments``."""
        return await self._list(request, "comments", "comments", "flex:comment", self._comment)

    async def create_comment(self, request: web.Request) -> web.Response:
        """``POST assets/{id}/comments {"comment": text}``: 201 with ``Location``."""
        rw = self.adapter.rewriter(request)
        asset_id = number(request.match_info["id"], "asset")
        path = f"/api/assets/{asset_id}/comments"
        response = await send(self.client, "POST", path, await json_object(request))
        return created(self._comment(rw, response.json_object(), asset_id))

    async def show_comment(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/comments/{comment_id}``."""
        asset_id = number(request.match_info["id"], "asset")
        comment_id = number(request.match_info["comment_id"], "comment")
        response = await ask(self.client, "GET", f"/api/assets/{asset_id}/comments/{comment_id}")
        rw = self.adapter.rewriter(request)
        return hal_response(self._comment(rw, response.json_object(), asset_id))

    async def history(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/history``: events, oldest first, as ``flex:event``."""
        return await self._list(
            request, "history", "events", "flex:event", lambda rw, data, _: event(rw, data)
        )


async def stream(adapter: FlexAdapter, request: web.Request, path: str) -> web.StreamResponse:
    """The upstream's bytes at ``path``, relayed as they arrive with their content headers."""
    client = adapter.client
    async with client.stream("GET", path, headers=NO_COMPRESSION, transfer=True) as response:
        await client.check(response)
        return await relay(request, response)


async def sub_list(
    adapter: FlexAdapter,
    request: web.Request,
    suffix: str,
    key: str,
    rel: str,
    to_hal: Callable[[Rewriter, Json, str], hal.Resource],
    upstream_suffix: str | None = None,
) -> web.Response:
    """One page of an asset's sub-resource list, items embedded under ``rel``."""
    rw = adapter.rewriter(request)
    asset_id = number(request.match_info["id"], "asset")
    page, per_page = page_params(request)
    source = Source(f"/api/assets/{asset_id}/{upstream_suffix or suffix}", key)
    doc = await listing.page(
        adapter.client,
        source,
        page,
        per_page,
        rw.href(f"/assets/{asset_id}/{suffix}{PAGED}"),
        rel,
        lambda item: to_hal(rw, item, asset_id),
    )
    return hal_response(doc.link("flex:asset", rw.href(f"/assets/{asset_id}")))
