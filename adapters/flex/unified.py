"""A Flex backend in the unified view: assets as assets, Flex collections as collections.

Both filters go to Flex: ``q`` as the documented ``;name=`` matrix filter (part of the
asset's name, case-insensitive), ``type`` as an ``;fql=`` clause on ``fileAssetType``
and ``isGroup`` (:data:`TYPE_QUERIES`), so offsets and ``totalCount`` are Flex's own.
A title is the asset's ``name``, the field the filter and the sort read.

Asset lists are sorted by name (``;sortBy=name;sort=asc``), the order the unified merge uses
(:func:`gateway.spi.assets.sort_key`: title in any case, then id) but for one thing: Flex
sorts by one key, so items of one title come in Flex's order, not by id as text ("10"
before "9"). :func:`_titled_window` puts each such run in ``sort_key`` order: it reads
one item more on each side of the page, and more while a run at the page's edge goes
on, so that every run on the page is whole. A run longer than :data:`RUN_LIMIT` keeps
Flex's order (the same at every call, so paging stays exact). Titles that Flex's sort
does not put side by side (should it not ignore case) are not moved.

Collections page by query and count with ``totalResults``; nothing public says Flex
sorts them by name, so the adapter reads all of them (there are few; up to
:data:`SORTED_COLLECTIONS`) and puts them in ``sort_key`` order itself. Beyond that
many, they are listed in Flex's own order, which is the same at every call. Their dates
are ``createdDate`` and ``modifiedDate`` in ISO 8601 (``2024-02-16T02:36:29Z``).

A collection's items are references (``{itemKey, id, uuid, type, createdDate}``, the
type an object type name such as ``media-asset``); the assets of the items of an asset
type come in one ``/api/assets;id=..;id=..`` request per page, in the items' order. An
item whose asset Flex no longer has is left out of the page (``more`` and ``total``
still count it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from adapters.flex import listing
from adapters.flex.calls import ask
from adapters.flex.listing import UPSTREAM_LIMIT, Source
from adapters.flex.mapping import Json, is_asset_type, number, seg, uuid_id
from gateway.spi import (
    AssetPage,
    AssetQuery,
    BadRequest,
    CollectionPage,
    UnifiedAsset,
    UnifiedCollection,
    UpstreamClient,
    sort_key,
)

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
RUN_LIMIT: Final = 500
"""Most items of one title put in ``sort_key`` order; a longer run keeps Flex's order."""
SORTED_COLLECTIONS: Final = 1000
"""Most collections the adapter sorts itself; a longer list keeps Flex's order."""
_TIMECODE: Final = re.compile(r"(\d+):([0-5]\d):([0-5]\d)(?:[:;.,](\d+))?")


def _text(value: Any) -> str | None:
    """``value`` as text; None for no value or an empty one."""
    return str(value) if value not in (None, "") else None


def _title(data: Mapping[str, Any]) -> str:
    """The unified title of a Flex asset or collection: its name, else its display name."""
    return str(data.get("name") or data.get("displayName") or data.get("id", ""))


def iso_time(value: Any) -> str | None:
    """A Flex timestamp in ISO 8601, same instant and offset; None when there is none.

    Objects have Flex's own format; collections ISO 8601 with ``Z``.
    """
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, TIME_FORMAT).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


def duration_ms(context: Any) -> int | None:
    """``assetContext.duration`` (a timecode ``HH:MM:SS:FF``) in milliseconds, to the second.

    The frames are left out: Flex gives no frame rate with the duration (unlike
    MediaCentral, whose documents assume 25 fps, nothing says which rate a Flex
    timecode counts in), and a guessed rate would be wrong by up to a second as often
    as it is right. Whole seconds are never wrong by more than one frame's worth.
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
        title=_title(data),
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
        title=_title(data),
        description=_text(data.get("description")),
        created=iso_time(data.get("createdDate")),
        modified=iso_time(data.get("modifiedDate")),
        native=f"/collections/{seg(collection_id)}",
    )


def _filters(query: AssetQuery) -> tuple[tuple[str, str], ...]:
    """The matrix parameters of ``query``: ``;name=``, ``;fql=`` for the type, the sort.

    400 for a type the unified view does not know.
    """
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
    """Items from ``offset`` in Flex's order, whether more follow, and Flex's count."""
    offset, limit = max(offset, 0), max(limit, 0)
    # A request for none still learns the total.
    window = await listing.fetch(client, source, offset, max(limit, 1))
    items = window.items[:limit]
    return items, offset + len(items) < window.total, window.total


def _run_key(data: Mapping[str, Any]) -> str:
    """What makes items one run: the same title in any case, as ``sort_key`` compares."""
    return sort_key(_title(data), "")[0]


def _run_at(items: list[Json], index: int) -> tuple[int, int]:
    """The run around ``items[index]``: the span of its neighbours of the same title."""
    key = _run_key(items[index])
    start, end = index, index + 1
    while start > 0 and _run_key(items[start - 1]) == key:
        start -= 1
    while end < len(items) and _run_key(items[end]) == key:
        end += 1
    return start, end


def _runs_sorted(items: list[Json], whole_start: bool, whole_end: bool) -> list[Json]:
    """``items`` with each run of one title in ``sort_key`` order, where it may be.

    Only runs known to be whole are sorted, and only up to :data:`RUN_LIMIT` items: the
    first run is whole if ``whole_start`` (the list begins there), the last one if
    ``whole_end``. Sorting inside a run keeps every run in its place.
    """
    out: list[Json] = []
    start = 0
    while start < len(items):
        _, end = _run_at(items, start)
        run = items[start:end]
        whole = (start > 0 or whole_start) and (end < len(items) or whole_end)
        if whole and len(run) <= RUN_LIMIT:
            run.sort(key=lambda data: sort_key(_title(data), str(data.get("id", ""))))
        out += run
        start = end
    return out


async def _titled_window(
    client: UpstreamClient, source: Source, offset: int, limit: int
) -> tuple[list[Json], bool, int]:
    """Items from ``offset`` of a list Flex sorts by name, runs of one title by id as text.

    Offsets count in that sequence: Flex's, each run of one title sorted in its place,
    so a page holds what Flex's page at the same offset holds but for the order inside
    the runs at its edges. Returns the items, whether more follow, and Flex's count.
    """
    offset, limit = max(offset, 0), max(limit, 0)
    first = max(offset - 1, 0)
    # One item more on each side tells whether the runs at the page's edges go on.
    window = await listing.fetch(client, source, first, offset - first + max(limit, 1) + 1)
    items, total = window.items, window.total
    end = min(offset + limit, first + len(items))  # the page: Flex's [offset, end)
    if end <= offset:
        return [], offset < total, total
    while first > 0:  # back while the run at the page's start may begin earlier
        run_start, run_end = _run_at(items, offset - first)
        if run_start > 0 or run_end - run_start > RUN_LIMIT:
            break
        back = max(first - UPSTREAM_LIMIT, 0)
        earlier = (await listing.fetch(client, source, back, first - back)).items
        if len(earlier) != first - back:
            break  # the list changed meanwhile: its positions are no longer known
        items, first = earlier + items, back
    while first + len(items) < total:  # on while the run at the page's end may go on
        run_start, run_end = _run_at(items, end - 1 - first)
        if run_end < len(items) or run_end - run_start > RUN_LIMIT:
            break
        more = await listing.fetch(client, source, first + len(items), UPSTREAM_LIMIT)
        if not more.items:
            break
        items += more.items
    ordered = _runs_sorted(items, whole_start=first == 0, whole_end=first + len(items) >= total)
    return ordered[offset - first : end - first], end < total, total


async def list_assets(client: UpstreamClient, query: AssetQuery) -> AssetPage:
    """Flex assets by title, filtered by Flex itself."""
    source = Source("/api/assets", "assets", filters=_filters(query))
    items, more, total = await _titled_window(client, source, query.offset, query.limit)
    return AssetPage([unified_asset(i) for i in items], more=more, total=total)


async def get_asset(client: UpstreamClient, native_id: str) -> UnifiedAsset:
    """One Flex asset; 404 for an id that is no number or that Flex does not know."""
    response = await ask(client, "GET", f"/api/assets/{number(native_id, 'asset')}")
    return unified_asset(response.json_object())


async def list_collections(client: UpstreamClient, offset: int, limit: int) -> CollectionPage:
    """Flex collections by title (in Flex's order beyond :data:`SORTED_COLLECTIONS`)."""
    source = listing.collections()
    offset, limit = max(offset, 0), max(limit, 0)
    head = await listing.fetch(client, source, 0, UPSTREAM_LIMIT)
    if head.total > SORTED_COLLECTIONS:
        items, more, total = await _window(client, source, offset, limit)
    else:
        found = head.items
        if len(found) < head.total:
            found += (await listing.fetch(client, source, len(found), head.total)).items
        found.sort(key=lambda data: sort_key(_title(data), str(data.get("id", ""))))
        items, total = found[offset : offset + limit], len(found)
        more = offset + len(items) < total
    return CollectionPage([unified_collection(i) for i in items], more=more, total=total)


async def get_collection(client: UpstreamClient, native_id: str) -> UnifiedCollection:
    """One Flex collection; 404 for an id that is no uuid or that Flex does not know."""
    response = await ask(client, "GET", f"/api/collections/{uuid_id(native_id)}")
    return unified_collection(response.json_object())


async def collection_items(
    client: UpstreamClient, native_id: str, offset: int, limit: int
) -> AssetPage:
    """The assets of one collection, in the collection's order."""
    source = listing.collection_items(uuid_id(native_id))
    items, more, total = await _window(client, source, offset, limit)
    ids = [
        str(i["id"])
        for i in items
        if is_asset_type(i.get("type")) and str(i.get("id", "")).isdigit()
    ]
    assets = await listing.assets_by_id(client, ids) if ids else {}
    found = [unified_asset(assets[i]) for i in ids if i in assets]
    return AssetPage(found, more=more, total=total)
