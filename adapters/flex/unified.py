"""A Flex backend in the unified view: assets as assets, Flex collections as collections.

Both filters go to Flex: ``q`` as the documented ``;name=`` matrix filter (part of the
asset's name, case-insensitive), ``type`` as an ``;fql=`` clause on ``fileAssetType``
and ``isGroup`` (:data:`TYPE_QUERIES`), so offsets and ``totalCount`` are Flex's own.
Lists are sorted by name (``;sortBy=name;sort=asc``), the order the unified merge uses;
a title is the asset's ``name``, the field the filter and the sort read.

A collection's items are references (``{itemKey, id, type, name}``); their assets come
in one ``/api/assets;id=..;id=..`` request per page, in the items' order. An item whose
asset Flex no longer has is left out of the page (``more`` and ``total`` still count it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from adapters.base import AssetPage, AssetQuery, CollectionPage, UnifiedAsset, UnifiedCollection
from adapters.flex import listing
from adapters.flex.listing import UPSTREAM_LIMIT, Source, matrix
from adapters.flex.mapping import number, seg, uuid_id
from gateway.errors import BadRequest
from gateway.upstream import UpstreamClient

Json = dict[str, Any]

SEARCH_METHOD: Final = (
    "Flex's own name filter (;name=, a case-insensitive match on part of the asset name); "
    "type becomes an FQL query (;fql=) on fileAssetType and isGroup."
)
TIME_FORMAT: Final = "%d %b %Y %H:%M:%S %z"
"""Flex's timestamps, e.g. ``29 Jan 2024 15:48:05 +0000``."""
FILE_TYPES: Final = {"VIDEO": "video", "AUDIO": "audio", "IMAGE": "image"}
"""Flex's ``fileAssetType`` → unified type; any other file type is ``other``."""
TYPE_QUERIES: Final = {
    "video": "fileAssetType = VIDEO AND isGroup = false",
    "audio": "fileAssetType = AUDIO AND isGroup = false",
    "image": "fileAssetType = IMAGE AND isGroup = false",
    "group": "isGroup = true",
    "other": " AND ".join([*(f"fileAssetType != {t}" for t in FILE_TYPES), "isGroup = false"]),
}
"""FQL picking each unified type, exactly the assets :func:`asset_type` maps to it."""
BY_NAME: Final = (("sortBy", "name"), ("sort", "asc"))
_TIMECODE: Final = re.compile(r"(\d+):([0-5]\d):([0-5]\d)(?:[:;.,](\d+))?")


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def iso_time(value: Any) -> str | None:
    """A Flex timestamp in ISO 8601, same instant and offset; None when there is none."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, TIME_FORMAT).isoformat()
    except ValueError:
        return None


def duration_ms(context: Any) -> int | None:
    """``assetContext.duration`` (a timecode ``HH:MM:SS:FF``) in milliseconds.

    Frames are left out: the frame rate is not part of the timecode, so the duration is
    counted to the second.
    """
    raw = context.get("duration") if isinstance(context, Mapping) else None
    match = _TIMECODE.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        return None
    hours, minutes, seconds = (int(part) for part in match.groups()[:3])
    return ((hours * 60 + minutes) * 60 + seconds) * 1000


def asset_type(data: Mapping[str, Any]) -> str:
    """The unified type of a Flex asset: groups first, then its file type."""
    if data.get("isGroup") is True:
        return "group"
    return FILE_TYPES.get(str(data.get("fileAssetType") or ""), "other")


def unified_asset(data: Mapping[str, Any]) -> UnifiedAsset:
    """A Flex asset as a unified asset; its native page is the gateway's asset route."""
    asset_id = str(data.get("id", ""))
    return UnifiedAsset(
        native_id=asset_id,
        title=str(data.get("name") or data.get("displayName") or asset_id),
        type=asset_type(data),
        duration_ms=duration_ms(data.get("assetContext")),
        created=iso_time(data.get("created")),
        modified=iso_time(data.get("lastModified")),
        description=_text(data.get("description")),
        native=f"/assets/{seg(asset_id)}",
    )


def unified_collection(data: Mapping[str, Any]) -> UnifiedCollection:
    """A Flex collection as a unified collection (Flex gives no item count with it)."""
    collection_id = str(data.get("id", ""))
    return UnifiedCollection(
        native_id=collection_id,
        title=str(data.get("name") or data.get("displayName") or collection_id),
        description=_text(data.get("description")),
        created=iso_time(data.get("created")),
        modified=iso_time(data.get("lastModified")),
        native=f"/collections/{seg(collection_id)}",
    )


def _filters(query: AssetQuery) -> tuple[tuple[str, str], ...]:
    filters: list[tuple[str, str]] = []
    text = (query.text or "").strip()
    if text:
        filters.append(("name", text))
    if query.type is not None:
        fql = TYPE_QUERIES.get(query.type)
        if fql is None:
            raise BadRequest(f"type must be one of {', '.join(TYPE_QUERIES)}")
        filters.append(("fql", fql))
    return (*filters, *BY_NAME)


async def _window(
    client: UpstreamClient, source: Source, offset: int, limit: int
) -> tuple[list[Json], bool, int]:
    """Items from ``offset``, whether more follow, and Flex's count of them all."""
    offset, limit = max(offset, 0), max(limit, 0)
    # A request for none still learns the total.
    window = await listing.fetch(client, source, offset, max(limit, 1))
    items = window.items[:limit]
    return items, offset + len(items) < window.total, window.total


async def list_assets(client: UpstreamClient, query: AssetQuery) -> AssetPage:
    """Flex assets by name, filtered by Flex itself."""
    source = Source("/api/assets", "assets", filters=_filters(query))
    items, more, total = await _window(client, source, query.offset, query.limit)
    return AssetPage([unified_asset(i) for i in items], more=more, total=total)


async def get_asset(client: UpstreamClient, native_id: str) -> UnifiedAsset:
    """One Flex asset; 404 for an id that is no number or that Flex does not know."""
    response = await client.request("GET", f"/api/assets/{number(native_id, 'asset')}")
    return unified_asset(response.json_object())


async def list_collections(client: UpstreamClient, offset: int, limit: int) -> CollectionPage:
    """Flex collections by name."""
    source = Source("/api/collections", "collections", filters=BY_NAME)
    items, more, total = await _window(client, source, offset, limit)
    return CollectionPage([unified_collection(i) for i in items], more=more, total=total)


async def get_collection(client: UpstreamClient, native_id: str) -> UnifiedCollection:
    """One Flex collection; 404 for an id that is no uuid or that Flex does not know."""
    response = await client.request("GET", f"/api/collections/{uuid_id(native_id)}")
    return unified_collection(response.json_object())


async def _assets_by_id(client: UpstreamClient, ids: list[str]) -> dict[str, Json]:
    """The assets with these ids, by id, asked for 100 at a time."""
    found: dict[str, Json] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), UPSTREAM_LIMIT):
        chunk = unique[start : start + UPSTREAM_LIMIT]
        params = [*(("id", i) for i in chunk), ("limit", str(len(chunk)))]
        response = await client.request("GET", matrix("/api/assets", params), encoded=True)
        assets = response.json_object().get("assets")
        for data in assets if isinstance(assets, list) else []:
            if isinstance(data, dict):
                found[str(data.get("id"))] = data
    return found


async def collection_items(
    client: UpstreamClient, native_id: str, offset: int, limit: int
) -> AssetPage:
    """The assets of one collection, in the collection's order."""
    path = f"/api/collections/{uuid_id(native_id)}/items"
    source = Source(path, "items", total_key="totalResults", by_query=True)
    items, more, total = await _window(client, source, offset, limit)
    ids = [
        str(i["id"])
        for i in items
        if i.get("type", "asset") == "asset" and str(i.get("id", "")).isdigit()
    ]
    assets = await _assets_by_id(client, ids) if ids else {}
    found = [unified_asset(assets[i]) for i in ids if i in assets]
    return AssetPage(found, more=more, total=total)
