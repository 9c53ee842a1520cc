"""``StoreLock`` (memory, Redis): one holder at a time, freed by it alone, ended by its TTL."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from gateway.state.base import StateStore
from gateway.state.locks import StoreLock
from gateway.state.memory_store import MemoryStore

KEY = "lock:upstream:mam:user:alice"


async def test_one_holder_at_a_time_and_every_waiter_gets_its_turn(store: StateStore) -> None:
    holding: list[int] = []
    most = 0
    turns: list[int] = []

    async def take_a_turn(n: int) -> None:
        nonlocal most
        lock = StoreLock(store, KEY, ttl_s=30)
        assert await lock.acquire(wait_s=10)
        holding.append(n)
        most = max(most, len(holding))
        await store.get("anything")  # a round trip while holding: the others try meanwhile
        holding.remove(n)
        turns.append(n)
        await lock.release()

    await asyncio.gather(*(take_a_turn(n) for n in range(8)))
    assert most == 1
    assert sorted(turns) == list(range(8))


async def test_a_released_lock_is_free_and_a_taken_one_is_not(store: StateStore) -> None:
    first, second = StoreLock(store, KEY, ttl_s=30), StoreLock(store, KEY, ttl_s=30)
    assert await first.acquire(wait_s=0)
    assert not await second.acquire(wait_s=0.05)
    assert not second.held
    await first.release()
    assert await second.acquire(wait_s=0)
    assert second.held


async def test_a_lock_its_holder_left_behind_ends_by_its_ttl(store: StateStore) -> None:
    crashed = StoreLock(store, KEY, ttl_s=0.2)
    assert await crashed.acquire(wait_s=0)
    taken_at = time.monotonic()
    waiter = StoreLock(store, KEY, ttl_s=30)
    assert await waiter.acquire(wait_s=5)  # never released: it waits for the TTL
    assert time.monotonic() - taken_at >= 0.15


async def test_a_holder_whose_lock_ended_does_not_free_the_next_holders(
    store: StateStore,
) -> None:
    slow = StoreLock(store, KEY, ttl_s=0.1)
    assert await slow.acquire(wait_s=0)
    after = StoreLock(store, KEY, ttl_s=30)
    assert await after.acquire(wait_s=5)  # the slow holder's lock ended meanwhile
    await slow.release()  # too late: the lock is another's now
    third = StoreLock(store, KEY, ttl_s=30)
    assert not await third.acquire(wait_s=0)
    await after.release()
    assert await third.acquire(wait_s=0)


async def test_delete_if_forgets_a_key_only_when_it_holds_the_value(store: StateStore) -> None:
    assert not await store.delete_if("k", {"token": "a"})
    await store.put("k", {"token": "a"}, 60)
    assert not await store.delete_if("k", {"token": "b"})
    assert await store.get("k") == {"token": "a"}
    assert await store.delete_if("k", {"token": "a"})
    assert await store.get("k") is None


class LateReplies(MemoryStore):
    """A store that takes a key at once and replies only when told, as Redis' reply may lag."""

    def __init__(self) -> None:
        super().__init__()
        self.taken = asyncio.Event()
        self.reply = asyncio.Event()

    async def put_new(self, key: str, value: dict[str, Any], ttl_s: float) -> bool:
        stored = await super().put_new(key, value, ttl_s)
        self.taken.set()
        await self.reply.wait()
        return stored


async def test_a_caller_cancelled_before_the_reply_leaves_the_lock_free() -> None:
    store = LateReplies()
    taking = asyncio.create_task(StoreLock(store, KEY, ttl_s=30).acquire(wait_s=10))
    await store.taken.wait()
    taking.cancel()  # the caller went away while the store had taken the lock for it
    with pytest.raises(asyncio.CancelledError):
        await taking
    store.reply.set()
    assert await StoreLock(store, KEY, ttl_s=30).acquire(wait_s=0)  # not held for 30 s
