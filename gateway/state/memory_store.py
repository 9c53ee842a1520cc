"""The state store in the process: ``cachetools`` caches bounded in size and time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Final

import cachetools

from gateway.state.base import Bucket, StateStore

MAX_ENTRIES: Final = 100_000
"""Bound of the in-process caches: old entries go first when it is reached."""


class MemoryStore(StateStore):
    """State in this process only."""

    shared = False

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        # The timers read self.clock on every use, so a clock set later is used too.
        self._values: cachetools.TLRUCache[str, tuple[float, dict[str, Any]]] = (
            cachetools.TLRUCache(
                maxsize=MAX_ENTRIES,
                ttu=lambda _key, value, _now: value[0],
                timer=lambda: self.clock(),
            )
        )
        self._windows: dict[str, list[float]] = {}
        # tokens, when counted, when full: a bucket that would be full is dropped, as a
        # missing bucket is a full one.
        self._buckets: cachetools.TLRUCache[str, tuple[float, float, float]] = cachetools.TLRUCache(
            maxsize=MAX_ENTRIES,
            ttu=lambda _key, value, _now: value[2],
            timer=lambda: self.clock(),
        )
        self._slots: dict[str, dict[str, float]] = {}

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value, unless expired."""
        found = self._values.get(key)
        return None if found is None else found[1]

    async def put(self, key: str, value: dict[str, Any], ttl_s: float) -> None:
        """Keep a copy until ``ttl_s`` from now."""
        self._values[key] = (self.clock() + ttl_s, json.loads(json.dumps(value)))

    async def put_new(self, key: str, value: dict[str, Any], ttl_s: float) -> bool:
        """Keep a copy unless a live value is there; no await between look and store."""
        if self._values.get(key) is not None:
            return False
        await self.put(key, value, ttl_s)
        return True

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._values.pop(key, None)

    async def delete_if(self, key: str, value: dict[str, Any]) -> bool:
        """Forget ``key`` if its live value is ``value``; no await between look and delete."""
        found = self._values.get(key)
        if found is None or json.dumps(found[1]) != json.dumps(value):
            return False
        del self._values[key]
        return True

    async def window(self, key: str, window_s: float, *, add: bool = False) -> list[float]:
        """Recent timestamps; windows that emptied are dropped, so memory stays bounded."""
        now = self.clock()
        recent = [t for t in self._windows.get(key, ()) if t > now - window_s]
        if add:
            recent.append(now)
        if recent:
            if key not in self._windows and len(self._windows) >= MAX_ENTRIES:
                self._windows.pop(next(iter(self._windows)))
            self._windows[key] = recent
        else:
            self._windows.pop(key, None)
        return recent

    async def take(self, key: str, capacity: int, refill_per_s: float, cost: float = 1.0) -> Bucket:
        """Refill by the time passed, then take; no await, so no other request interleaves."""
        now = self.clock()
        found = self._buckets.get(key)
        tokens = float(capacity)
        if found is not None:
            tokens = min(capacity, found[0] + max(0.0, now - found[1]) * refill_per_s)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        full_at = now + (capacity - tokens) / refill_per_s
        if full_at > now:
            self._buckets[key] = (tokens, now, full_at)
        else:
            self._buckets.pop(key, None)
        return Bucket(allowed, tokens, capacity, refill_per_s)

    async def acquire_slot(self, key: str, limit: int, lease_s: float, holder: str) -> bool:
        """Count live leases, then lease one if fewer than ``limit`` are out."""
        now = self.clock()
        leases = {h: end for h, end in self._slots.get(key, {}).items() if end > now}
        allowed = len(leases) < limit
        if allowed:
            leases[holder] = now + lease_s
        if leases:
            self._slots[key] = leases
        else:
            self._slots.pop(key, None)
        return allowed

    async def renew_slot(self, key: str, lease_s: float, holder: str) -> bool:
        """Move a live lease's end; a lapsed one stays gone."""
        now = self.clock()
        leases = self._slots.get(key, {})
        if leases.get(holder, 0.0) <= now:
            return False
        leases[holder] = now + lease_s
        return True

    async def release_slot(self, key: str, holder: str) -> None:
        """Drop the lease; a key with none left is forgotten."""
        leases = self._slots.get(key)
        if leases is not None:
            leases.pop(holder, None)
            if not leases:
                del self._slots[key]
