"""The MediaCentral backend: a CTMS platform found through its registry, passed through.

Gateway paths under ``/backends/<name>``::

    /locations                     GET    the root folder            (loc:root-item)
    /items/{id}{?offset,limit}     GET    a folder or item           (loc:item-by-id)
    /assets/{id}                   GET    an asset                   (aa:asset-by-id)
                                   PATCH  change its attributes      (aa:update-asset-by-id)
    /assets/{id}/thumbnail         GET    its thumbnail image        (aa:thumb, followed)
    /search{?search,offset,limit}  GET    simple search              (search:simple-search)
    /proxy/<upstream path>         GET    any other platform href inside a discovered service

The adapter logs in as configured, with the service's credentials or each gateway
user's own (:mod:`adapters.mediacentral.logins`), reads the registry on first use
(:mod:`adapters.mediacentral.discovery`; the readiness probe is that first use at
start-up), takes every service from the system the config names
(:mod:`adapters.mediacentral.systems`) and rewrites every href of the platform's documents
(:mod:`adapters.mediacentral.rewrite`). In the unified view its assets come from the
simple search or the folder tree, and its folders are the collections
(:mod:`adapters.mediacentral.unified`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from aiohttp import web

from adapters.mediacentral import logins, relations
from adapters.mediacentral.discovery import Discovery
from adapters.mediacentral.faults import read_fault
from adapters.mediacentral.resources import Resources
from adapters.mediacentral.rewrite import PROXY
from adapters.mediacentral.systems import SystemChoice, check_token
from adapters.mediacentral.thumbnails import Thumbnails, check_origins, origins_of
from adapters.mediacentral.unified import SEARCH_METHOD, UnifiedView
from gateway.spi import (
    JSON_TYPES,
    Adapter,
    AssetPage,
    AssetQuery,
    BackendConfig,
    CollectionPage,
    Field,
    QueryParam,
    RegistryEntry,
    RelationDoc,
    Route,
    UnifiedAsset,
    UnifiedCollection,
    UpstreamAuth,
    UpstreamClient,
    UpstreamFault,
    curie_template,
    hal,
)

_PAGE: Final = (
    QueryParam("offset", "integer", "the first child to embed, from 0", minimum=0),
    QueryParam("limit", "integer", "how many children to embed, 1 to 100", minimum=1, maximum=100),
)
_SEARCH: Final = (QueryParam("search", description="the words to look for"), *_PAGE)
_PASSED_ON: Final = (200, 307)
"""A 200, or a redirect of the platform's to another of its resources, passed on as a 307
with its Location rewritten to the gateway."""

CTMS_PREFIXES: Final = ("aa", "loc", "search")
"""CTMS CURIE prefixes the backend root uses; the gateway documents them under /rels."""


class MediaCentralAdapter(Adapter):
    """An Avid MediaCentral Cloud UX platform."""

    kind = "mediacentral"
    curie = "mc"
    description = "Avid MediaCentral newsroom and production assets (CTMS)"
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field("auth", str, "Upstream login flow.", default="mcux", choices=("mcux", "oauth2")),
        Field("username", str, "User name (mcux login and OAuth2 password grant)."),
        Field("password", str, "Password (mcux login and OAuth2 password grant).", secret=True),
        Field("client_id", str, "OAuth2 client id."),
        Field("client_secret", str, "OAuth2 client secret.", secret=True),
        Field(
            "grant",
            str,
            "OAuth2 grant.",
            default="password",
            choices=("password", "client_credentials"),
        ),
        Field(
            "system_id",
            str,
            "CTMS systemID of the system whose services to use, when the registry lists "
            "several (the realm of its service paths).",
            check=check_token,
        ),
        Field(
            "system_type",
            str,
            "CTMS systemType of that system (interplay-pam, interplay-mam, avid-pmplus, ...).",
            check=check_token,
        ),
        Field(
            "thumbnail_origins",
            list,
            "Origins (http(s)://host[:port]) off the platform whose thumbnail images are "
            "fetched, without credentials: the Production Management workgroup host.",
            check=check_origins,
        ),
    )
    user_fields: ClassVar[tuple[Field, ...]] = tuple(
        f for f in config_fields if f.name in ("username", "password", "client_id", "client_secret")
    )
    search_method = SEARCH_METHOD
    offers_collections = True

    def __init__(self, backend: BackendConfig, client: UpstreamClient) -> None:
        super().__init__(backend, client)
        self.discovery = Discovery(client, SystemChoice.of(backend.options))
        self.thumbnails = Thumbnails(client, self.discovery, origins_of(backend.options))
        self.unified = UnifiedView(self)

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The keys the chosen login flow needs."""
        return logins.missing_options(options)

    @classmethod
    def personal_keys(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        """The configured flow's keys that say who logs in.

        The OAuth2 client of the password grant is not among them: users with only
        their own user name and password share the backend's client.
        """
        return logins.personal_keys(options)

    @classmethod
    def upstream_auth(cls, backend: BackendConfig) -> UpstreamAuth:
        """The configured login flow; a missing key it needs stops the gateway's build."""
        return logins.login_for(backend)

    @classmethod
    def check_user_options(
        cls, own: Mapping[str, Any], merged: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """The flow's keys, and those that say who logs in from the user's own table."""
        return logins.missing_options(merged) + logins.personal_problems(own, merged)

    @staticmethod
    def read_upstream_error(status: int, content_type: str, body: bytes) -> UpstreamFault:
        """The platform's problem bodies, 401 bodies and OAuth2 errors."""
        return read_fault(status, content_type, body)

    async def probe(self) -> None:
        """Log in, read the registry and open the root folder."""
        await Resources(self).call("loc:root-item", {"limit": "1"})

    def routes(self) -> Sequence[Route]:
        """The discovered services, and the passage for other platform hrefs."""
        res = Resources(self)
        return (
            Route("GET", "/locations", res.locations, answers=_PASSED_ON),
            Route("GET", "/items/{id}", res.item, query=_PAGE, answers=_PASSED_ON),
            Route("GET", "/assets/{id}", res.asset, answers=_PASSED_ON),
            Route(
                "PATCH",
                "/assets/{id}",
                res.update_asset,
                consumes=JSON_TYPES,
                answers=_PASSED_ON,
            ),
            # An image of whatever type the platform keeps.
            Route("GET", "/assets/{id}/thumbnail", res.thumbnail, produces=(), answers=_PASSED_ON),
            Route("GET", "/search", res.search, query=_SEARCH, answers=_PASSED_ON),
            # The platform decides what these are (HAL, images, ...).
            Route("GET", PROXY + "/{tail:.+}", res.passthrough, produces=(), answers=_PASSED_ON),
        )

    def relations(self) -> Sequence[RelationDoc]:
        """The ``mc:`` relations."""
        return relations.RELATIONS

    def registry_entries(self) -> Sequence[RegistryEntry]:
        """The CTMS relations the backend serves, at their gateway paths."""
        return tuple(
            RegistryEntry(ctms_rel, path, templated)
            for _, ctms_rel, path, templated, _ in relations.ROOT_LINKS
        )

    async def service_root(self, request: web.Request, base: str) -> hal.Resource:
        """The backend root: each service under its ``mc:`` name and its CTMS name."""
        root = await super().service_root(request, base)
        for prefix in CTMS_PREFIXES:
            root.curie(prefix, base + curie_template(prefix))
        for name, ctms_rel, path, templated, title in relations.ROOT_LINKS:
            href = base + self.path + path
            root.link(f"{self.curie}:{name}", href, templated=templated, title=title)
            root.link(ctms_rel, href, templated=templated, title=title)
        return root

    # -- unified assets and collections (adapters.mediacentral.unified) -------------

    async def list_assets(self, query: AssetQuery) -> AssetPage:
        """Assets by simple search with ``q``, else from the folder tree; by name."""
        return await self.unified.assets(query)

    async def get_asset(self, native_id: str) -> UnifiedAsset:
        """One asset (``aa:asset-by-id``)."""
        return await self.unified.asset(native_id)

    async def list_collections(self, offset: int, limit: int) -> CollectionPage:
        """The folders of the tree, by name."""
        return await self.unified.collections(offset, limit)

    async def get_collection(self, native_id: str) -> UnifiedCollection:
        """One folder (``loc:item-by-id``)."""
        return await self.unified.collection(native_id)

    async def collection_items(self, native_id: str, offset: int, limit: int) -> AssetPage:
        """A folder's assets, in the folder's order."""
        return await self.unified.collection_items(native_id, offset, limit)
