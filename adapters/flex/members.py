"""Asset group memberships of a Flex backend, seen from either side.

A membership puts an asset into an asset group at a 1-based ``index``. ``members`` is a
group's view (Flex's ``/members``), ``parents`` an asset's view of the groups it is in
(Flex's ``/memberships``). Each membership links the member asset as ``item`` and the
group as ``collection`` (RFC 6573). Reordering a group is ``PUT {"index": n}`` on one
membership: Flex moves it and closes up the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiohttp import web

from adapters.flex.calls import Json, ask, created, integer, json_object, send
from adapters.flex.mapping import Rewriter, number
from adapters.flex.parts import sub_list
from gateway.spi import hal, hal_response

if TYPE_CHECKING:
    from adapters.flex.adapter import FlexAdapter

UPSTREAM_VIEWS: Final = {"members": "members", "parents": "memberships"}
"""Gateway view → Flex's path segment."""
_BODY_KEYS: Final = {"members": ("asset", "assetId"), "parents": ("group", "parentId")}
_RELS: Final = {"members": "flex:member", "parents": "flex:parent"}


def membership(rw: Rewriter, data: Json, view: str, asset_id: str) -> hal.Resource:
    """A group membership: ``item`` is the member asset, ``collection`` the group."""
    resource = rw.resource(data)
    for rel, key in (("item", "child"), ("collection", "parent")):
        nested = data.get(key)
        if not isinstance(nested, dict) or not isinstance(nested.get("href"), str):
            continue
        target = rw.url(nested["href"])
        if target is not None:
            resource.link(rel, target, title=str(nested.get("name") or "") or None)
    resource.link("up", rw.href(f"/assets/{asset_id}/{view}"))
    return resource


class Memberships:
    """The handlers of one view (``members`` or ``parents``) of group memberships."""

    def __init__(self, adapter: FlexAdapter, view: str) -> None:
        self.adapter = adapter
        self.client = adapter.client
        self.view = view

    def _to_hal(self, rw: Rewriter, data: Json, asset_id: str) -> hal.Resource:
        return membership(rw, data, self.view, asset_id)

    def _path(self, request: web.Request) -> tuple[str, str]:
        asset_id = number(request.match_info["id"], "asset")
        membership_id = number(request.match_info["membership_id"], "membership")
        return asset_id, f"/api/assets/{asset_id}/{UPSTREAM_VIEWS[self.view]}/{membership_id}"

    async def listing(self, request: web.Request) -> web.Response:
        """``GET assets/{id}/members`` or ``.../parents``, in index order."""
        return await sub_list(
            self.adapter,
            request,
            self.view,
            "memberships",
            _RELS[self.view],
            self._to_hal,
            UPSTREAM_VIEWS[self.view],
        )

    async def create(self, request: web.Request) -> web.Response:
        """``POST .../members {asset, index?}`` or ``.../parents {group, index?}``: 201."""
        asset_id = number(request.match_info["id"], "asset")
        body = await json_object(request)
        ours, theirs = _BODY_KEYS[self.view]
        upstream: Json = {theirs: integer(body, ours)}
        index = integer(body, "index", required=False)
        if index is not None:
            upstream["index"] = index
        path = f"/api/assets/{asset_id}/{UPSTREAM_VIEWS[self.view]}"
        response = await send(self.client, "POST", path, upstream)
        rw = self.adapter.rewriter(request)
        return created(self._to_hal(rw, response.json_object(), asset_id))

    async def show(self, request: web.Request) -> web.Response:
        """``GET .../{membership_id}``."""
        asset_id, path = self._path(request)
        data = (await ask(self.client, "GET", path)).json_object()
        return hal_response(self._to_hal(self.adapter.rewriter(request), data, asset_id))

    async def move(self, request: web.Request) -> web.Response:
        """``PUT .../{membership_id} {"index": n}``: the member moves to place n."""
        asset_id, path = self._path(request)
        index = integer(await json_object(request), "index")
        response = await send(self.client, "PUT", path, {"index": index})
        rw = self.adapter.rewriter(request)
        return hal_response(self._to_hal(rw, response.json_object(), asset_id))

    async def delete(self, request: web.Request) -> web.Response:
        """``DELETE .../{membership_id}``: the asset leaves the group; 204."""
        _, path = self._path(request)
        await ask(self.client, "DELETE", path)
        return web.Response(status=204)
