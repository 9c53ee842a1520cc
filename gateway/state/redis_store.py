"""The state store in Redis, shared by every gateway process (``[session] store = "redis"``)."""

from __future__ import annotations

import json
import uuid
from typing import Any, Final

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.state.base import Bucket, StateStore, unreachable
from gateway.web.errors import ServiceUnavailable
from gateway.web.metrics import Metrics

# Both scripts read the time from Redis itself: every gateway process then counts by
# the same clock, whatever their own clocks say.
_TAKE: Final = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
if tokens == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - tonumber(state[2])) * rate)
end
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""
_ACQUIRE: Final = """
local limit = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(lease * 1000) + 1000)
return 1
"""
_RENEW: Final = """
local lease = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ends = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[2]))
if ends == nil or ends <= now then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(lease * 1000) + 1000)
return 1
"""

# Compare-and-delete: a lock's holder frees only its own lock, never one that expired
# and was taken by another process meanwhile.
_DELETE_IF: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisStore(StateStore):
    """State in Redis, shared by every gateway process that uses the same ``redis_url``."""

    shared = True

    def __init__(self, client: aioredis.Redis, prefix: str, metrics: Metrics | None = None) -> None:
        self._redis = client
        self._prefix = prefix
        self._errors = (metrics if metrics is not None else Metrics.unrecorded()).redis_errors
        self._take = client.register_script(_TAKE)
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._delete_if = client.register_script(_DELETE_IF)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self._prefix!r})"  # the URL may hold a password

    def _unreachable(self, operation: str) -> ServiceUnavailable:
        """The 503 for a failed ``operation``, counted."""
        self._errors.inc(operation)
        return unreachable()

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value, unless expired."""
        try:
            raw = await self._redis.get(self._prefix + key)
        except RedisError as exc:
            raise self._unreachable("get") from exc
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
            raise self._unreachable("put") from exc

    async def put_new(self, key: str, value: dict[str, Any], ttl_s: float) -> bool:
        """``SET NX PX``: Redis decides which of racing processes stores it."""
        try:
            stored = await self._redis.set(
                self._prefix + key, json.dumps(value), px=max(1, int(ttl_s * 1000)), nx=True
            )
        except RedisError as exc:
            raise self._unreachable("put_new") from exc
        return bool(stored)

    async def delete(self, key: str) -> None:
        """``DEL``."""
        try:
            await self._redis.delete(self._prefix + key)
        except RedisError as exc:
            raise self._unreachable("delete") from exc

    async def delete_if(self, key: str, value: dict[str, Any]) -> bool:
        """One script run: ``DEL`` if ``GET`` gives ``value``'s JSON text."""
        try:
            deleted = await self._delete_if(keys=[self._prefix + key], args=[json.dumps(value)])
        except RedisError as exc:
            raise self._unreachable("delete_if") from exc
        return bool(deleted)

    async def window(self, key: str, window_s: float, *, add: bool = False) -> list[float]:
        """A sorted set of timestamps, trimmed to the window in the same round trip."""
        now = self.clock()
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
            raise self._unreachable("window") from exc
        members = results[2 if add else 1]
        return sorted(float(score) for _member, score in members)

    async def take(self, key: str, capacity: int, refill_per_s: float, cost: float = 1.0) -> Bucket:
        """One script run: refill by Redis' clock, take, set the expiry to when full."""
        try:
            allowed, tokens = await self._take(
                keys=[self._prefix + key], args=[capacity, repr(refill_per_s), repr(cost)]
            )
        except RedisError as exc:
            raise self._unreachable("take") from exc
        return Bucket(bool(allowed), float(tokens), capacity, refill_per_s)

    async def acquire_slot(self, key: str, limit: int, lease_s: float, holder: str) -> bool:
        """A sorted set of holders scored by lease end; expired leases go first."""
        try:
            stored = await self._acquire(
                keys=[self._prefix + key], args=[limit, repr(lease_s), holder]
            )
        except RedisError as exc:
            raise self._unreachable("acquire_slot") from exc
        return bool(stored)

    async def renew_slot(self, key: str, lease_s: float, holder: str) -> bool:
        """``ZADD XX`` of a live lease only: a lapsed one is never brought back."""
        try:
            renewed = await self._renew(keys=[self._prefix + key], args=[repr(lease_s), holder])
        except RedisError as exc:
            raise self._unreachable("renew_slot") from exc
        return bool(renewed)

    async def release_slot(self, key: str, holder: str) -> None:
        """``ZREM``."""
        try:
            await self._redis.zrem(self._prefix + key, holder)
        except RedisError as exc:
            raise self._unreachable("release_slot") from exc

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
