"""Short-lived state the gateway keeps beside the sessions, in memory or in Redis.

What lives here: upstream logins per (identity, backend), revoked gateway sessions and
tokens, and the windows of failed logins. :class:`MemoryStore` keeps it in the
process (``cachetools`` caches bounded in size and time); :class:`RedisStore` keeps it
in Redis, so that several gateway processes share it (``[session] store = "redis"``).
Values are JSON objects; every key lives at most its TTL.
"""

from __future__ import annotations

import abc
import json
import time
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, Final

import cachetools
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.web.errors import ServiceUnavailable

MAX_ENTRIES: Final = 100_000
"""Bound of the in-process caches: old entries go first when it is reached."""


class StateStore(abc.ABC):
    """Key → JSON object with a TTL, plus sliding windows of timestamps."""

    shared: ClassVar[bool]
    """Whether other gateway processes read and write the same state."""

    @abc.abstractmethod
    async def get(self, key: str) -> dict[str, Any] | None:
        """The value under ``key``, None when absent or expired."""

    @abc.abstractmethod
    async def put(self, key: str, value: dict[str, Any], ttl_s: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_s`` seconds."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Forget ``key``."""

    @abc.abstractmethod
    async def window(self, key: str, window_s: float, *, add: bool = False) -> list[float]:
        """The timestamps recorded under ``key`` in the last ``window_s`` seconds.

        ``add`` records the current time first. Timestamps are epoch seconds, oldest first.
        """

    async def close(self) -> None:  # noqa: B027 - the memory store holds nothing to close
        """Release connections."""


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


class RedisStore(StateStore):
    """State in Redis, shared by every gateway process that uses the same ``redis_url``."""

    shared = True

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self._prefix!r})"  # the URL may hold a password

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value, unless expired."""
        try:
            raw = await self._redis.get(self._prefix + key)
        except RedisError as exc:
            raise unreachable() from exc
        if raw is None:
            return None
        value = json.loads(raw)
        return value if isinstance(value, dict) else None

    async def put(self, key: str, value: dict[str, Any], ttl_s: float) -> None:
        """``SET`` with an expiry in milliseconds."""
        try:
            await self._redis.set(
                self._prefix + key, json.dumps(value), px=max(1, int(ttl_s * 1000))
            )
        except RedisError as exc:
            raise unreachable() from exc

    async def delete(self, key: str) -> None:
        """``DEL``."""
        try:
            await self._redis.delete(self._prefix + key)
        except RedisError as exc:
            raise unreachable() from exc

    async def window(self, key: str, window_s: float, *, add: bool = False) -> list[float]:
        """A sorted set of timestamps, trimmed to the window in the same round trip."""
        now = time.time()
        name = self._prefix + key
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(name, "-inf", now - window_s)
                if add:
                    pipe.zadd(name, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
                pipe.zrange(name, 0, -1, withscores=True)
                pipe.expire(name, max(1, int(window_s) + 1))
                results = await pipe.execute()
        except RedisError as exc:
            raise unreachable() from exc
        members = results[2 if add else 1]
        return sorted(float(score) for _member, score in members)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def unreachable() -> ServiceUnavailable:
    """The 503 for a store that cannot be reached.

    The exception text may name the Redis host or hold its password: it is kept out.
    """
    return ServiceUnavailable("the gateway's session store is unreachable; try again shortly")


class LoginSlot:
    """Where one upstream login strategy keeps its session: one key of the state store.

    The key names the backend and the identity the login is for, so that logins are
    kept per (gateway identity, backend) and, with Redis, shared by every process.
    """

    __slots__ = ("key", "store")

    def __init__(self, store: StateStore, key: str) -> None:
        self.store = store
        self.key = key

    def __repr__(self) -> str:
        return f"LoginSlot({self.key!r})"

    async def load(self) -> dict[str, Any] | None:
        """The stored login, if any."""
        return await self.store.get(self.key)

    async def save(self, value: dict[str, Any], ttl_s: float) -> None:
        """Keep the login for ``ttl_s`` seconds."""
        await self.store.put(self.key, value, ttl_s)

    async def clear(self) -> None:
        """Forget the login."""
        await self.store.delete(self.key)
