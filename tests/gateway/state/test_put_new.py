"""``put_new``: of callers racing for one key, exactly one stores it (memory and Redis)."""

from __future__ import annotations

import asyncio

from gateway.state.base import StateStore


async def test_only_one_of_racing_callers_stores(store: StateStore) -> None:
    won = await asyncio.gather(*(store.put_new("k", {"n": n}, 60) for n in range(20)))
    assert won.count(True) == 1
    assert await store.get("k") == {"n": won.index(True)}


async def test_a_key_is_free_again_once_deleted_or_expired(store: StateStore) -> None:
    assert await store.put_new("k", {"n": 1}, 60)
    assert not await store.put_new("k", {"n": 2}, 60)
    await store.delete("k")
    assert await store.put_new("k", {"n": 3}, 0.05)
    await asyncio.sleep(0.1)
    assert await store.put_new("k", {"n": 4}, 60)
    assert await store.get("k") == {"n": 4}
