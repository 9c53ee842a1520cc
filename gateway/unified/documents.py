"""The unified view's documents: an asset, a collection, the asset's JSON Schema, root links."""

from __future__ import annotations

from typing import Any, Final

from gateway.backends.runtime import Backend
from gateway.spi.adapter import Adapter
from gateway.spi.assets import ASSET_TYPES, UnifiedAsset, UnifiedCollection
from gateway.web import hal
from gateway.web.urls import path_segment

ASSETS: Final = "/assets{?q,backend,type,cursor,per_page}"
ASSET: Final = "/assets/{id}"
COLLECTIONS: Final = "/collections{?backend,cursor,per_page}"
COLLECTION: Final = "/collections/{id}{?page,per_page}"
SCHEMA_PATH: Final = "/schemas/asset"


def _href(base: str, backend: Backend, href: str | None) -> str | None:
    """A gateway path under the backend's root made absolute; absolute URLs stay."""
    if href is None or href.startswith(("http://", "https://")):
        return href
    return base + backend.adapter.path + href


def backend_assets(base: str, backend: Backend) -> str | None:
    """The unified asset list of ``backend`` alone, as a URI template (None for a kind
    that lists no unified assets): its ``backend`` fixed, the other variables open."""
    if type(backend.adapter).list_assets is Adapter.list_assets:
        return None
    return (
        base + hal.expand("/assets{?backend}", backend=backend.name) + "{&q,type,cursor,per_page}"
    )


def unified_id(backend: Backend, native_id: str) -> str:
    """``<backend>:<native id>``."""
    return f"{backend.name}:{native_id}"


def asset_doc(base: str, backend: Backend, asset: UnifiedAsset) -> hal.Resource:
    """The unified asset as HAL."""
    uid = unified_id(backend, asset.native_id)
    doc = hal.Resource(
        {
            "id": uid,
            "backend": backend.name,
            "kind": backend.adapter.kind,
            "native_id": asset.native_id,
            "title": asset.title,
            "type": asset.type,
            "duration_ms": asset.duration_ms,
            "created": asset.created,
            "modified": asset.modified,
            "description": asset.description,
        }
    )
    doc.link("self", base + "/assets/" + path_segment(uid))
    doc.link("profile", base + SCHEMA_PATH)
    doc.link("gw:backend", base + backend.adapter.path, name=backend.name)
    for rel, href in (
        ("gw:native", asset.native),
        ("gw:thumbnail", asset.thumbnail),
        ("gw:playback", asset.playback),
    ):
        absolute = _href(base, backend, href)
        if absolute is not None:
            doc.link(rel, absolute)
    for collection in asset.collections:
        cid = unified_id(backend, collection)
        doc.add_link("gw:collection", base + "/collections/" + path_segment(cid))
    return doc


def collection_link(base: str, backend: Backend, collection: UnifiedCollection) -> hal.Link:
    """A link to the unified collection, named by its id and titled by its title.

    The lists link collections rather than embed them: a collection's representation
    holds a page of its items, which a list cannot afford to read for every one, and a
    summary would be taken by HAL clients for the collection itself.
    """
    uid = unified_id(backend, collection.native_id)
    return hal.Link(base + "/collections/" + path_segment(uid), name=uid, title=collection.title)


def collection_doc(base: str, backend: Backend, collection: UnifiedCollection) -> hal.Resource:
    """The unified collection as HAL (without its items and paging)."""
    uid = unified_id(backend, collection.native_id)
    doc = hal.Resource(
        {
            "id": uid,
            "backend": backend.name,
            "kind": backend.adapter.kind,
            "native_id": collection.native_id,
            "title": collection.title,
            "description": collection.description,
            "created": collection.created,
            "modified": collection.modified,
            "item_count": collection.item_count,
        }
    )
    doc.link("self", base + "/collections/" + path_segment(uid))
    doc.link("gw:backend", base + backend.adapter.path, name=backend.name)
    native = _href(base, backend, collection.native)
    if native is not None:
        doc.link("gw:native", native)
    return doc


def asset_schema(base: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the unified asset."""
    text = {"type": "string"}
    maybe_text = {"type": ["string", "null"]}
    link = {
        "type": "object",
        "required": ["href"],
        "properties": {"href": {"type": "string", "format": "uri"}},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": base + SCHEMA_PATH,
        "title": "Unified asset",
        "description": "One asset of one backend, as GET /assets and /assets/{id} show it.",
        "type": "object",
        "required": ["id", "backend", "kind", "native_id", "title", "type", "_links"],
        "properties": {
            "id": {**text, "description": "<backend>:<native id>, the id of /assets/{id}"},
            "backend": {**text, "description": "The backend's config name"},
            "kind": {**text, "description": "The backend's kind (avalon, mediacentral, ...)"},
            "native_id": {**text, "description": "The id the backend itself uses"},
            "title": text,
            "type": {"enum": list(ASSET_TYPES)},
            "duration_ms": {"type": ["integer", "null"], "minimum": 0},
            "created": {**maybe_text, "description": "ISO 8601, as the backend has it"},
            "modified": {**maybe_text, "description": "ISO 8601, as the backend has it"},
            "description": maybe_text,
            "_links": {
                "type": "object",
                "required": ["self", "profile"],
                "properties": {
                    "self": link,
                    "profile": link,
                    "gw:backend": link,
                    "gw:native": link,
                    "gw:thumbnail": link,
                    "gw:playback": link,
                    "gw:collection": {"type": "array", "items": link},
                },
            },
        },
    }


def links(doc: hal.Resource, base: str) -> None:
    """The unified view's links on the root."""
    doc.link("gw:assets", base + ASSETS, templated=True, title="Assets of every backend")
    doc.link("gw:asset", base + ASSET, templated=True, title="One asset by <backend>:<id>")
    doc.link(
        "gw:collections", base + COLLECTIONS, templated=True, title="Collections of every backend"
    )
