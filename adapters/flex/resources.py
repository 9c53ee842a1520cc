"""The MAM-wide resources of a Flex backend: collections and their items, accounts,
workflow actions, events, event handlers, user groups and their members, users, object
types and stored files.

Collections are known by uuid; their items page with ``?offset&limit`` and count with
``totalResults`` (see :class:`adapters.flex.listing.Source`). A collection item links
its asset as ``self`` and ``flex:asset``. The other families are read-only lists and
single objects, mapped alike (:data:`FAMILIES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from aiohttp import web

from adapters.flex import listing
from adapters.flex.calls import Json, created, json_object, send
from adapters.flex.listing import Source
from adapters.flex.mapping import Rewriter, file_name, number, seg, uuid_id
from adapters.flex.parts import event, stream
from adapters.flex.relations import COLLECTIONS, PAGED
from gateway.spi import BadRequest, Handler, hal, hal_response, page_params

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
    """A collection item: its ``self`` is the asset it refers to."""
    resource = rw.resource(data)
    own = resource.href("self")
    if own is not None:
        resource.link("flex:asset", own, title=str(data.get("name") or "") or None)
    return resource


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
            response = await self.client.request("GET", f"/api/{family.upstream}/{item_id}")
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
            Source("/api/collections", "collections", filters=filters),
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
        response = await self.client.request("GET", self._collection_path(request))
        return hal_response(collection(self.adapter.rewriter(request), response.json_object()))

    async def update_collection(self, request: web.Request) -> web.Response:
        """``PUT collections/{id}``: 200 with the collection."""
        path = self._collection_path(request)
        response = await send(self.client, "PUT", path, await json_object(request))
        return hal_response(collection(self.adapter.rewriter(request), response.json_object()))

    async def delete_collection(self, request: web.Request) -> web.Response:
        """``DELETE collections/{id}``: 204."""
        await self.client.request("DELETE", self._collection_path(request))
        return web.Response(status=204)

    async def items(self, request: web.Request) -> web.Response:
        """``GET collections/{id}/items``: one page of items as ``flex:item``."""
        rw = self.adapter.rewriter(request)
        collection_id = uuid_id(request.match_info["id"])
        page, per_page = page_params(request)
        base = f"/collections/{collection_id}"
        source = Source(f"/api{base}/items", "items", total_key="totalResults", by_query=True)
        doc = await listing.page(
            self.client,
            source,
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
        body = {"items": [{"id": a, "type": "asset"} for a in assets]}
        await send(self.client, "PUT", self._collection_path(request) + "/items", body)
        return await self.items(request)

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
