"""Paging through one adapter's unified assets, as the merged list does."""

from __future__ import annotations

import dataclasses

from gateway.spi import Adapter, AssetQuery, UnifiedAsset


async def every_asset(adapter: Adapter, query: AssetQuery) -> list[UnifiedAsset]:
    """Every asset of ``query``, page by page of ``query.limit``, checking ``more``.

    A page that says more follow is full; past the last page nothing is listed.
    """
    seen: list[UnifiedAsset] = []
    while True:
        page = await adapter.list_assets(dataclasses.replace(query, offset=len(seen)))
        seen += page.items
        if not page.more:
            assert len(page.items) <= query.limit
            break
        assert len(page.items) == query.limit
    after = await adapter.list_assets(dataclasses.replace(query, offset=len(seen)))
    assert (after.items, after.more) == ([], False)
    return seen
