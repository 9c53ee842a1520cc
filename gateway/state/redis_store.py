"""The state store in Redis, shared by every gateway process (``[session] store = "redis"``)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.state.base import StateStore, unreachable


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

    async def put_new(self, key: str, value: dict[str, Any], ttl_s: float) -> bool:
        """``SET NX PX``: Redis decides which of racing processes stores it."""
        try:
            stored = await self._redis.set(
                self._prefix + key, json.dumps(value), px=max(1, int(ttl_s * 1000)), nx=True
            )
        except RedisError as exc:
            raise unreachable() from exc
        return bool(stored)

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
