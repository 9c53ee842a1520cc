"""The state store in the process: ``cachetools`` caches bounded in size and time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Final

import cachetools

from gateway.state.base import StateStore

MAX_ENTRIES: Final = 100_000
"""Bound of the in-process caches: old entries go first when it is reached."""


class MemoryStore(StateStore):
    """State in this process only."""

    shared = False

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._values: cachetools.TLRUCache[str, tuple[float, dict[str, Any]]] = (
            cachetools.TLRUCache(
                maxsize=MAX_ENTRIES, ttu=lambda _key, value, _now: value[0], timer=clock
            )
        )
        self._windows: dict[str, list[float]] = {}

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value, unless expired."""
        found = self._values.get(key)
        return None if found is None else found[1]

    async def put(self, key: str, value: dict[str, Any], ttl_s: float) -> None:
        """Keep a copy until ``ttl_s`` from now."""
        self._values[key] = (self._clock() + ttl_s, json.loads(json.dumps(value)))

    async def put_new(self, key: str, value: dict[str, Any], ttl_s: float) -> bool:
        """Keep a copy unless a live value is there; no await between look and store."""
        if self._values.get(key) is not None:
            return False
        await self.put(key, value, ttl_s)
        return True

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._values.pop(key, None)

    async def window(self, key: str, window_s: float, *, add: bool = False) -> list[float]:
        """Recent timestamps; windows that emptied are dropped, so memory stays bounded."""
        now = self._clock()
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
