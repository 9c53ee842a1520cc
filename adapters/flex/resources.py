"""The MAM-wide resources of a Flex backend: collections and their items, accounts,
workflow actions, events, event handlers, user groups and their members, users, object
types and stored files.

Collections are known by uuid; they and their items page with ``?offset&limit`` and
count with ``totalResults`` (see :class:`adapters.flex.listing.Source`). Flex gives a
collection and its items no ``href``: their links are made from their ids. An item
(``{"itemKey", "id", "uuid", "type": "media-asset", ...}``) of an asset type links its
asset as ``flex:asset`` (an item has no ``self``: it has no address of its own). Flex
takes new items as ``{"id", "type"}`` with the asset's object type name, so adding assets
reads their types first, and the answer, a list of ``{"code", "item"}``, is checked item
by item. The other families are read-only lists and single objects, mapped alike
(:data:`FAMILIES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from adapters.flex import listing
from adapters.flex.calls import Json, RefusedInAnswer, ask, created, json_object, send
from adapters.flex.listing import Source
from adapters.flex.mapping import Rewriter, file_name, is_asset_type, number, seg, uuid_id
from adapters.flex.parts import event, stream
from adapters.flex.relations import COLLECTIONS, PAGED
from gateway.spi import (
    BadRequest,
    Handler,
    QueryParam,
    UpstreamUnavailable,
    hal,
    hal_response,
    page_params,
)

if TYPE_CHECKING:
    from adapters.flex.adapter import FlexAdapter


def group(rw: Rewriter, data: Json) -> hal.Resource:
    """A user group, linking its members."""
    resource = rw.resource(data)
    resource.link("flex:users", rw.href(f"/groups/{seg(data.get('id', ''))}/members"))
    return resource


def collection(rw: Rewriter, data: Json) -> hal.Resource:
    """A collection, linking its items."""
    base = f"/collections/{seg(data.get('id', ''))}"
    resource = rw.resource(data, base)
    resource.link("flex:items", rw.href(base + "/items" + PAGED), templated=True)
    return resource


def item(rw: Rewriter, data: Json) -> hal.Resource:
    """A collection item, linking its asset when it is one.

    An item has no address of its own, so no ``self``: were the asset its ``self``, HAL
    clients would take the item for the asset and miss the asset's links.
    """
    resource = rw.resource({k: v for k, v in data.items() if k != "href"})
    asset_id = str(data.get("id", ""))
    if is_asset_type(data.get("type")) and asset_id.isdigit():
        target = rw.href(f"/assets/{asset_id}")
        resource.link("flex:asset", target, title=str(data.get("itemName") or "") or None)
    return resource


def _not_added(answer: Any) -> list[str]:
    """What Flex's answer to new items (``[{"code", "item"}, ...]``) says it did not add."""
    out: list[str] = []
    for entry in answer if isinstance(answer, list) else []:
        if isinstance(entry, dict) and entry.get("code") not in (200, 201):
            added = entry.get("item")
            which = added.get("id") if isinstance(added, dict) else None
            out.append(f"asset {'?' if which is None else which}: code {entry.get('code')}")
    return out


COLLECTION_FILTERS: Final = (QueryParam("name", description="part of the name, in any case"),)
"""The query parameters of the collection list besides paging."""


@dataclass(frozen=True, slots=True)
class Family:
    """A read-only family: gateway path segment, Flex's, and the item relation."""

    path: str
    upstream: str
    rel: str
    to_hal: Callable[[Rewriter, Json], hal.Resource] = lambda rw, data: rw.resource(data)
    listed: bool = True


FAMILIES: Final = (
    Family("accounts", "accounts", "flex:account"),
    Family("actions", "actions", "flex:action"),
    Family("events", "events", "flex:event", event),
    Family("event-handlers", "eventHandlers", "flex:event-handler"),
    Family("groups", "groups", "flex:group", group),
    Family("users", "users", "flex:user", listed=False),
    Family("object-types", "objectTypes", "flex:object-type", listed=False),
)


class Resources:
    """The handlers of one Flex backend's MAM-wide resources."""

    def __init__(self, adapter: FlexAdapter) -> None:
        self.adapter = adapter
        self.client = adapter.client

    # -- read-only families ------------------------------------------------------------

    def listing(self, family: Family) -> Handler:
        """``GET /<family>``: one page, items embedded under the family's relation."""

        async def handler(request: web.Request) -> web.Response:
            rw = self.adapter.rewriter(request)
            page, per_page = page_params(request)
            doc = await listing.page(
                self.client,
                Source(f"/api/{family.upstream}", family.upstream),
                page,
                per_page,
                rw.href(f"/{family.path}{PAGED}"),
                family.rel,
                lambda data: family.to_hal(rw, data),
            )
            return hal_response(doc.link("up", rw.href("")))

        return handler

    def one(self, family: Family) -> Handler:
        """``GET /<family>/{id}``."""

        async def handler(request: web.Request) -> web.Response:
            item_id = number(request.match_info["id"], family.path.rstrip("s"))
            response = await ask(self.client, "GET", f"/api/{family.upstream}/{item_id}")
            return hal_response(
                family.to_hal(self.adapter.rewriter(request), response.json_object())
            )

        return handler

    # -- collections -------------------------------------------------------------------

    async def list_collections(self, request: web.Request) -> web.Response:
        """``GET collections``: one page, ``name`` matching part of the name."""
        rw = self.adapter.rewriter(request)
        page, per_page = page_params(request)
        name = request.query.get("name")
        filters = (("name", name),) if name else ()
        doc = await listing.page(
            self.client,
            listing.collections(filters),
            page,
            per_page,
            rw.href(COLLECTIONS),
            "flex:collection",
            lambda data: collection(rw, data),
            **({"name": name} if name else {}),
        )
        return hal_response(doc.link("up", rw.href("")))

    async def create_collection(self, request: web.Request) -> web.Response:
        """``POST collections``: 201 with ``Location``."""
        response = await send(self.client, "POST", "/api/collections", await json_object(request))
        return created(collection(self.adapter.rewriter(request), response.json_object()))

    def _collection_path(self, request: web.Request) -> str:
        return f"/api/collections/{uuid_id(request.match_info['id'])}"

    async def show_collection(self, request: web.Request) -> web.Response:
        """``GET collections/{id}``."""
        response = await ask(self.client, "GET", self._collection_path(request))
        return hal_response(collection(self.adapter.rewriter(request), response.json_object()))

    async def update_collection(self, request: web.Request) -> web.Response:
        """``PUT collections/{id}``: 200 with the collection."""
        path = self._collection_path(request)
        response = await send(self.client, "PUT", path, await json_object(request))
        return hal_response(collection(self.adapter.rewriter(request), response.json_object()))

    async def delete_collection(self, request: web.Request) -> web.Response:
        """``DELETE collections/{id}``: 204."""
        await ask(self.client, "DELETE", self._collection_path(request))
        return web.Response(status=204)

    async def items(self, request: web.Request) -> web.Response:
        """``GET collections/{id}/items``: one page of items as ``flex:item``."""
        rw = self.adapter.rewriter(request)
        collection_id = uuid_id(request.match_info["id"])
        page, per_page = page_params(request)
        base = f"/collections/{collection_id}"
        doc = await listing.page(
            self.client,
            listing.collection_items(collection_id),
            page,
            per_page,
            rw.href(base + "/items" + PAGED),
            "flex:item",
            lambda data: item(rw, data),
        )
        return hal_response(doc.link("flex:collection", rw.href(base)))

    async def add_items(self, request: web.Request) -> web.Response:
        """``POST collections/{id}/items {"assets": [id, ...]}``: the first page after."""
        assets = (await json_object(request)).get("assets")
        if (
            not isinstance(assets, list)
            or not assets
            or not all(isinstance(a, int) and not isinstance(a, bool) for a in assets)
        ):
            raise BadRequest('the body must be {"assets": [asset id, ...]}')
        body = {"items": [{"id": a, "type": t} for a, t in await self._types(assets)]}
        response = await send(self.client, "PUT", self._collection_path(request) + "/items", body)
        failed = _not_added(response.json() if response.body else None)
        if failed:
            raise RefusedInAnswer(
                f"backend {self.adapter.name} did not add every asset to the collection",
                backend=self.adapter.name,
                upstream_status=response.status,
                errors=failed,
            )
        return await self.items(request)

    async def _types(self, assets: list[int]) -> list[tuple[int, str]]:
        """Each asset with its object type name, as Flex takes collection items."""
        found = await listing.assets_by_id(self.client, [str(a) for a in assets])
        missing = [str(a) for a in assets if str(a) not in found]
        if missing:
            raise BadRequest(f"backend {self.adapter.name} has no asset {', '.join(missing)}")
        kinds = [found[str(a)].get("objectType") for a in assets]
        types = [kind.get("name") if isinstance(kind, dict) else None for kind in kinds]
        if not all(isinstance(t, str) for t in types):
            raise UpstreamUnavailable(
                f"backend {self.adapter.name} answered assets without their object type",
                backend=self.adapter.name,
            )
        return [(a, str(t)) for a, t in zip(assets, types, strict=True)]

    # -- group members and files -------------------------------------------------------

    async def group_members(self, request: web.Request) -> web.Response:
        """``GET groups/{id}/members``: the users, in the group's order."""
        rw = self.adapter.rewriter(request)
        group_id = number(request.match_info["id"], "group")
        page, per_page = page_params(request)
        base = f"/groups/{group_id}"
        doc = await listing.page(
            self.client,
            Source(f"/api{base}/members", "users"),
            page,
            per_page,
            rw.href(base + "/members" + PAGED),
            "flex:user",
            rw.resource,
        )
        return hal_response(doc.link("flex:group", rw.href(base)))

    async def set_group_members(self, request: web.Request) -> web.Response:
        """``PUT groups/{id}/members {"users": [id, ...]}``: the whole list, in order."""
        group_id = number(request.match_info["id"], "group")
        users = (await json_object(request)).get("users")
        if not isinstance(users, list) or not all(
            isinstance(u, int) and not isinstance(u, bool) for u in users
        ):
            raise BadRequest('the body must be {"users": [user id, ...]}')
        body = {"users": [{"id": u} for u in users]}
        await send(self.client, "PUT", f"/api/groups/{group_id}/members", body)
        return await self.group_members(request)

    async def file(self, request: web.Request) -> web.StreamResponse:
        """``GET files/{name}``: a stored file, streamed in its own content type."""
        name = file_name(request.match_info["name"])
        return await stream(self.adapter, request, f"/api/files/{name}")
