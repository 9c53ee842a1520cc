"""The Dalet Flex MAM backend: the Flex REST API under ``/api``, with HTTP Basic, as HAL.

Gateway paths under ``/backends/<name>``::

    /assets{?page,per_page,name,fql,sort}            GET list, POST placeholder
    /assets/{id}                                     GET, PUT
    /assets/{id}/metadata                            GET (JSON), PUT (XML or JSON)
    /assets/{id}/metadata.xml                        GET (application/xml)
    /assets/{id}/annotations[/{annotation_id}]       GET, POST / GET, PUT, DELETE
    /assets/{id}/keyframes[/{keyframe_id}[/image]]   GET, POST / GET, PUT, DELETE / GET
    /assets/{id}/actions                             GET, POST {"action"}
    /assets/{id}/members|parents[/{membership_id}]   GET, POST / GET, PUT {"index"}, DELETE
    /assets/{id}/children, /comments[/{id}], /history
    /collections[/{id}[/items]]                      uuid ids
    /accounts, /actions, /events, /event-handlers, /groups [/{id}]; /groups/{id}/members
    /users/{id}, /object-types/{id}, /files/{name}

Decisions where Flex and the gateway differ: ``per_page`` up to 500 is served by several
upstream requests of at most 100 (:mod:`adapters.flex.listing`); upstream ``href``
fields become gateway links and matrix parameters never reach clients
(:mod:`adapters.flex.mapping`); metadata is JSON with the XML document as ``alternate``,
client XML is parsed with defusedxml before anything is sent, and Flex gets the
instance as JSON in its own media type (:mod:`adapters.flex.metadata`); an action
refused for the object's state is a 409 (:mod:`adapters.flex.assets`); a 2xx answer
carrying Flex's ``errors`` is a refusal, never a success (:mod:`adapters.flex.calls`).
A 401 from Flex means the configured user was refused: 503 ``upstream-login-failed``,
never a 401 that would log the client out of the gateway. Flex's error messages reach
clients without upstream paths, matrix parameters or the Java classes of its JSON
reader. Readiness is one asset listed (``/api/assets;limit=1``): Flex serves nothing at
``/api`` itself.

Credentials: one service login (``username``, ``password``) for everybody, or each
gateway user's own Flex login (``[backends.<name>.users.<user>]``), or both. Flex takes
no other word of who acts: a user's own login is what makes their changes theirs
upstream (Flex records it as ``owner`` and ``createdBy``).

In the unified view (:mod:`adapters.flex.unified`) Flex assets are assets, filtered
and sorted by Flex itself, and Flex collections are collections, sorted by the adapter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar, Final

import aiohttp
from aiohttp import web

from adapters.flex import relations, unified
from adapters.flex.assets import ASSET_FILTERS, Assets
from adapters.flex.calls import ask
from adapters.flex.mapping import Rewriter
from adapters.flex.members import Memberships
from adapters.flex.metadata import XML_TYPE, XML_TYPES
from adapters.flex.parts import Parts
from adapters.flex.resources import COLLECTION_FILTERS, FAMILIES, Resources
from gateway.spi import (
    JSON_TYPES,
    PAGING,
    Adapter,
    AssetPage,
    AssetQuery,
    BackendConfig,
    CollectionPage,
    Field,
    RegistryEntry,
    RelationDoc,
    Route,
    StaticHeaders,
    UnifiedAsset,
    UnifiedCollection,
    UpstreamAuth,
    UpstreamFault,
    default_error_reader,
    hal,
)

_ROOT_LISTS: Final = (
    ("flex:accounts", "/accounts", "Accounts"),
    ("flex:actions", "/actions", "Workflow actions"),
    ("flex:events", "/events", "Events"),
    ("flex:event-handlers", "/event-handlers", "Event handlers"),
    ("flex:groups", "/groups", "User groups"),
)
_UPSTREAM_PATH: Final = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*://[^\s/]+/api|(?<![\w.:/])/api)(?![\w.\-])[^\s'\"]*"
)
"""A Flex API URL or path in a message: the upstream's layout, none of a client's business."""
_MATRIX: Final = re.compile(r";[A-Za-z][\w\-]*=[^;/\s'\"]*")
_JAVA: Final = re.compile(
    r"\s*\(Class [\w.$]+\)|\s*at \[Source: [^\]]*\]|\s*\(through reference chain: [^)]*\)"
)
"""What Flex's JSON reader adds to a refusal: its model classes and input stream."""
PROBE: Final = "/api/assets;limit=1"
"""One asset: Flex answers with the configured user's right to read assets, or refuses."""


def _clean(message: str) -> str:
    message = _JAVA.sub("", message)
    return _MATRIX.sub("", _UPSTREAM_PATH.sub("this address", message))


class FlexAdapter(Adapter):
    """A Dalet Flex MAM."""

    kind = "flex"
    curie = "flex"
    description = "Dalet Flex media asset management"
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field("username", str, "Flex user name (HTTP Basic).", required=True),
        Field("password", str, "Flex password (HTTP Basic).", required=True, secret=True),
    )
    user_fields: ClassVar[tuple[Field, ...]] = config_fields
    search_method = unified.SEARCH_METHOD
    offers_collections = True

    @classmethod
    def upstream_auth(cls, backend: BackendConfig) -> UpstreamAuth:
        """HTTP Basic with the configured user; a 401 means that user was refused."""
        user, password = backend.options["username"], backend.options["password"].reveal()
        return StaticHeaders(
            {"Authorization": aiohttp.encode_basic_auth(user, password)}, refusals=(401,)
        )

    @staticmethod
    def read_upstream_error(status: int, content_type: str, body: bytes) -> UpstreamFault:
        """Flex's messages, without the upstream paths and matrix parameters they may name."""
        fault = default_error_reader(status, content_type, body)
        return UpstreamFault([_clean(m) for m in fault.messages], fault.code)

    async def probe(self) -> None:
        """One asset is listed for the configured user (nothing answers at ``/api`` itself)."""
        await ask(self.client, "GET", PROBE, encoded=True)

    def rewriter(self, request: web.Request) -> Rewriter:
        """Makes gateway URLs (relative to this backend's root) and rewrites upstream ones."""
        return Rewriter(self.hrefs(request), self.client.base_url)

    def relations(self) -> Sequence[RelationDoc]:
        """The ``flex:`` relations."""
        return relations.RELATIONS

    def registry_entries(self) -> Sequence[RegistryEntry]:
        """CTMS entries: assets, one asset by id, and the Flex collections."""
        return (
            RegistryEntry("aa:assets", relations.ASSETS, templated=True),
            RegistryEntry("aa:asset-by-id", relations.ASSET, templated=True),
            RegistryEntry("flex:assets", relations.ASSETS, templated=True),
            RegistryEntry("flex:asset", relations.ASSET, templated=True),
            RegistryEntry("flex:collections", relations.COLLECTIONS, templated=True),
            RegistryEntry("flex:collection", relations.COLLECTION, templated=True),
        )

    async def service_root(self, request: web.Request, base: str) -> hal.Resource:
        """The backend root, linking every Flex resource family."""
        root = await super().service_root(request, base)
        href = self.rewriter(request).href
        root.link("flex:assets", href(relations.ASSETS), templated=True, title="Assets")
        root.link("flex:asset", href(relations.ASSET), templated=True, title="One asset")
        root.link(
            "flex:collections", href(relations.COLLECTIONS), templated=True, title="Collections"
        )
        root.link(
            "flex:collection", href(relations.COLLECTION), templated=True, title="One collection"
        )
        for rel, path, title in _ROOT_LISTS:
            root.link(rel, href(path + relations.PAGED), templated=True, title=title)
        return root

    def routes(self) -> Sequence[Route]:
        """Every Flex resource the gateway serves."""
        assets, parts, res = Assets(self), Parts(self), Resources(self)
        a = "/assets/{id}"
        routes = [
            Route("GET", "/assets", assets.list_assets, query=(*PAGING, *ASSET_FILTERS)),
            Route("POST", "/assets", assets.create),
            Route("GET", a, assets.show),
            Route("PUT", a, assets.update),
            Route("GET", a + "/metadata", assets.show_metadata),
            Route(
                "PUT", a + "/metadata", assets.update_metadata, consumes=(*XML_TYPES, *JSON_TYPES)
            ),
            Route("GET", a + "/metadata.xml", assets.metadata_xml, produces=(XML_TYPE,)),
            Route("GET", a + "/actions", assets.list_actions),
            # 204, or 200 with the asset where Flex answers with it.
            Route("POST", a + "/actions", assets.perform, answers=(200, 204)),
            Route("GET", a + "/annotations", parts.list_annotations, query=PAGING),
            Route("POST", a + "/annotations", parts.create_annotations),
            Route("GET", a + "/annotations/{annotation_id}", parts.show_annotation),
            Route("PUT", a + "/annotations/{annotation_id}", parts.update_annotation),
            Route("DELETE", a + "/annotations/{annotation_id}", parts.delete_annotation),
            Route("GET", a + "/keyframes", parts.list_keyframes, query=PAGING),
            Route("POST", a + "/keyframes", parts.create_keyframe),
            Route("GET", a + "/keyframes/{keyframe_id}", parts.show_keyframe),
            Route("PUT", a + "/keyframes/{keyframe_id}", parts.update_keyframe),
            Route("DELETE", a + "/keyframes/{keyframe_id}", parts.delete_keyframe),
            # Images go out in whatever type Flex stored them as.
            Route("GET", a + "/keyframes/{keyframe_id}/image", parts.keyframe_image, produces=()),
            Route("GET", a + "/children", parts.children, query=PAGING),
            Route("GET", a + "/comments", parts.list_comments, query=PAGING),
            Route("POST", a + "/comments", parts.create_comment),
            Route("GET", a + "/comments/{comment_id}", parts.show_comment),
            Route("GET", a + "/history", parts.history, query=PAGING),
            Route(
                "GET", "/collections", res.list_collections, query=(*PAGING, *COLLECTION_FILTERS)
            ),
            Route("POST", "/collections", res.create_collection),
            Route("GET", "/collections/{id}", res.show_collection),
            Route("PUT", "/collections/{id}", res.update_collection),
            Route("DELETE", "/collections/{id}", res.delete_collection),
            Route("GET", "/collections/{id}/items", res.items, query=PAGING),
            # Answers the collection's items, a page of them as GET would.
            Route("POST", "/collections/{id}/items", res.add_items, query=PAGING, answers=(200,)),
            Route("GET", "/groups/{id}/members", res.group_members, query=PAGING),
            Route("PUT", "/groups/{id}/members", res.set_group_members, query=PAGING),
            Route("GET", "/files/{name}", res.file, produces=()),
        ]
        for view in ("members", "parents"):
            handlers = Memberships(self, view)
            one = f"{a}/{view}/{{membership_id}}"
            routes += [
                Route("GET", f"{a}/{view}", handlers.listing, query=PAGING),
                Route("POST", f"{a}/{view}", handlers.create),
                Route("GET", one, handlers.show),
                Route("PUT", one, handlers.move),
                Route("DELETE", one, handlers.delete),
            ]
        for family in FAMILIES:
            if family.listed:
                routes.append(
                    Route(
                        "GET",
                        f"/{family.path}",
                        res.listing(family),
                        summary=f"One page of the {family.path}",
                        query=PAGING,
                    )
                )
            routes.append(
                Route(
                    "GET",
                    f"/{family.path}/{{id}}",
                    res.one(family),
                    summary=f"One of the {family.path}",
                )
            )
        return routes

    # -- unified assets and collections -------------------------------------------

    async def list_assets(self, query: AssetQuery) -> AssetPage:
        """Flex assets by name; ``q`` and ``type`` filtered by Flex."""
        return await unified.list_assets(self.client, query)

    async def get_asset(self, native_id: str) -> UnifiedAsset:
        """One Flex asset as a unified asset."""
        return await unified.get_asset(self.client, native_id)

    async def list_collections(self, offset: int, limit: int) -> CollectionPage:
        """Flex collections by name."""
        return await unified.list_collections(self.client, offset, limit)

    async def get_collection(self, native_id: str) -> UnifiedCollection:
        """One Flex collection."""
        return await unified.get_collection(self.client, native_id)

    async def collection_items(self, native_id: str, offset: int, limit: int) -> AssetPage:
        """The assets of one Flex collection, in its order."""
        return await unified.collection_items(self.client, native_id, offset, limit)
