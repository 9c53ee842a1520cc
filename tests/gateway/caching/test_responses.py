"""The response cache: bounded in bytes, entries expiring with their max age, generations."""

from __future__ import annotations

from gateway.caching.responses import Entry, ResponseCache
from gateway.state.memory_store import MemoryStore
from tests.support.clocks import FakeClock


def _entry(size: int, stored_at: float = 0.0, max_age_s: float = 60.0) -> Entry:
    return Entry(b"x" * size, (), '"t"', stored_at, max_age_s)


def test_entries_beyond_the_byte_bound_evict_the_least_recently_used() -> None:
    entry = _entry(1000)
    cache = ResponseCache(3 * entry.size, MemoryStore())
    for key in ("a", "b", "c"):
        assert cache.put(key, entry)
    assert cache.get("a") is entry  # now the most recently used
    assert cache.put("d", entry)
    assert cache.get("b") is None
    assert {k for k in "acd" if cache.get(k) is not None} == {"a", "c", "d"}
    assert cache.size <= cache.max_bytes


def test_an_entry_larger_than_the_bound_is_not_kept() -> None:
    cache = ResponseCache(10_000, MemoryStore())
    small = _entry(100)
    assert cache.put("small", small)
    assert not cache.put("big", _entry(10_000))
    assert cache.get("big") is None
    assert cache.get("small") is small  # nothing was evicted for it
    assert not ResponseCache(0, MemoryStore()).put("small", small)  # 0: no cache


def test_entries_expire_after_their_max_age() -> None:
    clock = FakeClock()
    cache = ResponseCache(10_000, MemoryStore(), clock=clock)
    entry = _entry(10, clock(), max_age_s=30)
    cache.put("k", entry)
    clock.advance(29)
    assert cache.get("k") is entry
    clock.advance(2)
    assert cache.get("k") is None
    assert not cache.put("never", _entry(10, clock(), max_age_s=0))


async def test_a_write_changes_only_its_backends_generation() -> None:
    cache = ResponseCache(10_000, MemoryStore())
    flex, azure = await cache.generation("flex"), await cache.generation("azure")
    await cache.written("flex")
    assert await cache.generation("flex") != flex
    assert await cache.generation("azure") == azure
