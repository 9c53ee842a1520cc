"""An Avalon backend in the unified view: media objects as assets, admin collections as
collections (their items as the collection's assets).

Avalon's API documents no search and no sort: its media-object list takes ``page`` and
``per_page`` only, in Avalon's own (creation) order. The unified merge needs every
backend in title order (:func:`gateway.spi.assets.sort_key`), so the gateway reads the list
from the start in pages of :data:`CHUNK`, keeps the media objects whose title holds
every word of ``q`` (:func:`gateway.spi.assets.matches`) and whose mapped type is ``type``,
sorts them by title then id, and counts offsets in that sequence. It reads at most
:data:`SCAN_LIMIT` media objects per call, with or without a filter: the sequence is
made of Avalon's first ``SCAN_LIMIT`` objects, the same at every call, so paging
through it never repeats or skips one (objects past the limit are not listed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

from adapters.avalon import mapping
from adapters.avalon.resources import upstream_items
from gateway.spi import (
    AssetPage,
    AssetQuery,
    CollectionPage,
    UnifiedAsset,
    UnifiedCollection,
    UpstreamClient,
    matches,
    sort_key,
)
from gateway.spi import path_segment as seg

CHUNK: Final = 100
"""Media objects per upstream request while scanning the list."""
SCAN_LIMIT: Final = 5000
"""Media objects read at most per call."""
SEARCH_METHOD: Final = (
    "Avalon's API has no search, so the gateway matches q against media-object titles "
    f"itself (every word of q, in any case), over the first {SCAN_LIMIT} media objects "
    "in Avalon's order, listed by title."
)

Json = dict[str, Any]
T = TypeVar("T")


async def _page(
    client: UpstreamClient, path: str, page: int, per_page: int
) -> tuple[list[Json], int]:
    """One page of an Avalon list, and the list's ``Total``."""
    response = await client.request(
        "GET", path, params={"page": str(page), "per_page": str(per_page)}
    )
    items = upstream_items(response)
    return items, mapping.total_count(response, len(items) + (page - 1) * per_page)


async def window(
    client: UpstreamClient, path: str, offset: int, count: int
) -> tuple[list[Json], int]:
    """Up to ``count`` items of an Avalon list from ``offset`` on, and its ``Total``.

    Avalon pages are aligned to ``per_page``: an offset on a page boundary of ``count``
    takes one request of that size, any other offset pages of :data:`CHUNK`.
    """
    count = max(count, 1)  # a request for none still learns the total
    per_page = count if offset % count == 0 else CHUNK
    page, skip = divmod(offset, per_page)
    items: list[Json] = []
    while True:
        page += 1
        got, total = await _page(client, path, page, per_page)
        items += got[skip:]
        skip = 0
        if len(items) >= count or len(got) < per_page or page * per_page >= total:
            return items[:count], total


async def _scan(client: UpstreamClient, path: str) -> list[UnifiedAsset]:
    """Avalon's list from the start, at most :data:`SCAN_LIMIT` items, each once.

    An object created while the pages are read shifts the later pages by one, so an
    object may come twice: the first one counts.
    """
    found: dict[str, UnifiedAsset] = {}
    page = read = 0
    while read < SCAN_LIMIT:
        page += 1
        got, total = await _page(client, path, page, CHUNK)
        for item in got[: SCAN_LIMIT - read]:
            asset = mapping.unified_asset(item)
            found.setdefault(asset.native_id, asset)
        read += len(got)
        if len(got) < CHUNK or read >= total:
            break
    return list(found.values())


async def _mapped_page(
    client: UpstreamClient, path: str, offset: int, limit: int, to: Callable[[Json], T]
) -> tuple[list[T], bool, int]:
    """Items ``offset`` to ``offset + limit`` of an Avalon list, in Avalon's order, mapped.

    Returns them with whether more follow and the list's ``Total``.
    """
    offset = max(offset, 0)
    items, total = await window(client, path, offset, limit)
    shown = items[: max(limit, 0)]
    return [to(i) for i in shown], offset + len(shown) < total, total


async def list_assets(client: UpstreamClient, query: AssetQuery) -> AssetPage:
    """Media objects as unified assets by title, filtered in the gateway when asked to."""
    text = query.text or ""
    found = sorted(
        (
            asset
            for asset in await _scan(client, "/media_objects.json")
            if matches(text, asset.title) and query.type in (None, asset.type)
        ),
        key=lambda asset: sort_key(asset.title, asset.native_id),
    )
    offset, limit = max(query.offset, 0), max(query.limit, 0)
    return AssetPage(
        found[offset : offset + limit], more=len(found) > offset + limit, total=len(found)
    )


async def get_asset(client: UpstreamClient, native_id: str) -> UnifiedAsset:
    """One media object as a unified asset; Avalon's 404 (410 once its deletion has run)
    maps through."""
    response = await client.request("GET", f"/media_objects/{seg(native_id)}.json")
    return mapping.unified_asset(response.json_object())


async def list_collections(client: UpstreamClient, offset: int, limit: int) -> CollectionPage:
    """Admin collections in Avalon's order (by name)."""
    items, more, total = await _mapped_page(
        client, "/admin/collections.json", offset, limit, mapping.unified_collection
    )
    return CollectionPage(items, more=more, total=total)


async def get_collection(client: UpstreamClient, native_id: str) -> UnifiedCollection:
    """One admin collection; Avalon's 404 maps through."""
    response = await client.request("GET", f"/admin/collections/{seg(native_id)}.json")
    return mapping.unified_collection(response.json_object())


async def collection_items(
    client: UpstreamClient, native_id: str, offset: int, limit: int
) -> AssetPage:
    """The media objects of one admin collection, in Avalon's order; 404 for none."""
    path = f"/admin/collections/{seg(native_id)}/items.json"
    items, more, total = await _mapped_page(client, path, offset, limit, mapping.unified_asset)
    return AssetPage(items, more=more, total=total)
