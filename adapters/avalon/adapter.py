"""The Avalon backend: the Avalon JSON API, with an ``Avalon-Api-Key``, as HAL.

Gateway paths under ``/backends/<name>``::

    /media-objects                                  GET list, POST create
    /media-objects/{id}                             GET, PUT, DELETE
    /media-objects/{id}/master-files/{mf}           GET
    /collections, /collections/{id}, .../items      GET, POST / GET, PUT / GET
    /vocabulary, /vocabulary/{name}                 GET / GET, PUT, POST
    <owner>/supplemental-files[/{file_id}[/content]]   on media objects and master files

Credentials: one service token (``api_key``) for everybody, or each gateway user's own
token (``[backends.<name>.users.<user>] api_key``), or both. Every Avalon token belongs
to one Avalon user, whose rights the request then has; Avalon takes no other word of
who acts, so a user's own token is what makes their changes theirs upstream. Avalon
refuses an unknown token with 403 before anything else: that is the gateway's (or the
user's) configured token being wrong, answered as 503 ``upstream-login-failed``.

In the unified view (:mod:`adapters.avalon.unified`) media objects are assets and admin
collections are collections.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

from aiohttp import web

from adapters.avalon import errors, relations, unified
from adapters.avalon.files import SupplementalFiles
from adapters.avalon.resources import Resources
from gateway.spi import (
    JSON_TYPES,
    MULTIPART,
    PAGING,
    UPLOAD_NAME,
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
    StaticHeaders,
    UnifiedAsset,
    UnifiedCollection,
    UpstreamAuth,
    UpstreamFault,
    hal,
)

UNKNOWN_TOKEN: Final = 403
"""Avalon's answer to a token it does not know, on every endpoint, before any other check."""


def _check_origins(value: Any) -> str | None:
    """Every entry an http(s) origin: scheme, host and port only."""
    for entry in value:
        parts = urlsplit(entry)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"{entry!r} is not an http(s) origin"
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            return f"{entry!r} is not an origin (scheme, host and port only)"
    return None


_STRUCTURE: Final = QueryParam(
    "include_structure", "boolean", "with each master file's structure (its sections)"
)
_OWNERS = ("/media-objects/{id}", "/media-objects/{id}/master-files/{master_file_id}")


class AvalonAdapter(Adapter):
    """An Avalon Media System."""

    kind = "avalon"
    curie = "avalon"
    description = "Avalon Media System: library and archive streaming"
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "api_key",
            str,
            "Avalon API token (Avalon-Api-Key header).",
            required=True,
            secret=True,
        ),
        Field(
            "storage_origins",
            list,
            "Origins (http(s)://host[:port]) of the storage service Avalon's downloads "
            "redirect to; when given, the only ones followed besides Avalon's own, on any "
            "address.",
            check=_check_origins,
        ),
    )
    user_fields: ClassVar[tuple[Field, ...]] = (
        Field("api_key", str, "The user's own Avalon API token.", required=True, secret=True),
    )
    search_method = unified.SEARCH_METHOD
    offers_collections = True

    @property
    def storage_origins(self) -> tuple[str, ...]:
        """The configured ``storage_origins``; empty when none are."""
        return tuple(self.backend.options.get("storage_origins") or ())

    @classmethod
    def upstream_auth(cls, backend: BackendConfig) -> UpstreamAuth:
        """The configured API token on every request; Avalon refusing it is a 503."""
        return StaticHeaders(
            {"Avalon-Api-Key": backend.options["api_key"].reveal()}, refusals=(UNKNOWN_TOKEN,)
        )

    @staticmethod
    def read_upstream_error(status: int, content_type: str, body: bytes) -> UpstreamFault:
        """Avalon's messages without its backtraces, paths and class names."""
        return errors.read_error(status, content_type, body)

    async def probe(self) -> None:
        """One media object page answers for the configured token."""
        await self.client.request("GET", "/media_objects.json", params={"per_page": "1"})

    def relations(self) -> Sequence[RelationDoc]:
        """The ``avalon:`` relations."""
        return relations.RELATIONS

    def registry_entries(self) -> Sequence[RegistryEntry]:
        """CTMS entries: media objects as assets, plus the Avalon services."""
        return (
            RegistryEntry("aa:assets", relations.MEDIA_OBJECTS, templated=True),
            RegistryEntry("aa:asset-by-id", relations.MEDIA_OBJECT, templated=True),
            RegistryEntry("avalon:media-objects", relations.MEDIA_OBJECTS, templated=True),
            RegistryEntry("avalon:media-object", relations.MEDIA_OBJECT, templated=True),
            RegistryEntry("avalon:collections", relations.COLLECTIONS, templated=True),
            RegistryEntry("avalon:collection", relations.COLLECTION, templated=True),
            RegistryEntry("avalon:vocabularies", relations.VOCABULARIES),
        )

    async def service_root(self, request: web.Request, base: str) -> hal.Resource:
        """The backend root, linking every Avalon service."""
        root = await super().service_root(request, base)
        href = self.hrefs(request)
        root.link(
            "avalon:media-objects",
            href(relations.MEDIA_OBJECTS),
            templated=True,
            title="Media objects",
        )
        root.link(
            "avalon:media-object",
            href(relations.MEDIA_OBJECT),
            templated=True,
            title="One media object",
        )
        root.link(
            "avalon:collections", href(relations.COLLECTIONS), templated=True, title="Collections"
        )
        root.link(
            "avalon:collection", href(relations.COLLECTION), templated=True, title="One collection"
        )
        root.link("avalon:vocabularies", href(relations.VOCABULARIES), title="Vocabularies")
        root.link(
            "avalon:vocabulary", href(relations.VOCABULARY), templated=True, title="One vocabulary"
        )
        return root

    def routes(self) -> Sequence[Route]:
        """Every Avalon resource the gateway serves."""
        res = Resources(self)
        files = SupplementalFiles(self, res)
        routes = [
            Route("GET", "/media-objects", res.list_media_objects, query=PAGING),
            Route("POST", "/media-objects", res.create_media_object),
            Route("GET", "/media-objects/{id}", res.show_media_object, query=(_STRUCTURE,)),
            Route("PUT", "/media-objects/{id}", res.update_media_object),
            # 202 when Avalon queues the deletion, 204 when it deleted at once.
            Route("DELETE", "/media-objects/{id}", res.delete_media_object, answers=(202, 204)),
            Route("GET", "/media-objects/{id}/master-files/{master_file_id}", res.show_master_file),
            Route("GET", "/collections", res.list_collections, query=PAGING),
            Route("POST", "/collections", res.create_collection),
            Route("GET", "/collections/{id}", res.show_collection),
            Route("PUT", "/collections/{id}", res.update_collection),
            Route("GET", "/collections/{id}/items", res.collection_items, query=PAGING),
            Route("GET", "/vocabulary", res.list_vocabularies),
            Route("GET", "/vocabulary/{name}", res.show_vocabulary),
            Route("PUT", "/vocabulary/{name}", res.add_vocabulary_entry),
            Route("POST", "/vocabulary/{name}", res.add_vocabulary_entry, answers=(200,)),
        ]
        for owner in _OWNERS:
            listing = owner + "/supplemental-files"
            one = listing + "/{file_id}"
            routes += [
                Route("GET", listing, files.list, query=PAGING),
                Route(
                    "POST", listing, files.create, consumes=(MULTIPART, *JSON_TYPES), stream=True
                ),
                Route("GET", one, files.show),
                Route("PUT", one, files.update),
                Route("DELETE", one, files.delete),
                # The bytes go out in whatever type they were stored as.
                Route("GET", one + "/content", files.download, produces=()),
                Route(
                    "PUT",
                    one + "/content",
                    files.replace,
                    consumes=None,
                    stream=True,
                    query=(UPLOAD_NAME,),
                ),
            ]
        return routes

    # -- unified assets and collections -------------------------------------------

    async def list_assets(self, query: AssetQuery) -> AssetPage:
        """Media objects as unified assets; ``q`` and ``type`` filtered in the gateway."""
        return await unified.list_assets(self.client, query)

    async def get_asset(self, native_id: str) -> UnifiedAsset:
        """One media object as a unified asset."""
        return await unified.get_asset(self.client, native_id)

    async def list_collections(self, offset: int, limit: int) -> CollectionPage:
        """Admin collections, by name as Avalon sorts them."""
        return await unified.list_collections(self.client, offset, limit)

    async def get_collection(self, native_id: str) -> UnifiedCollection:
        """One admin collection."""
        return await unified.get_collection(self.client, native_id)

    async def collection_items(self, native_id: str, offset: int, limit: int) -> AssetPage:
        """The media objects of one admin collection."""
        return await unified.collection_items(self.client, native_id, offset, limit)
