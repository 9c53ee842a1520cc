"""The state stores the tests of this package run against: each test runs on both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from gateway.state.base import StateStore
from gateway.state.memory_store import MemoryStore
from gateway.state.redis_store import RedisStore


@pytest_asyncio.fixture(params=["memory", "redis"])
async def store(
    request: pytest.FixtureRequest, redis_url: str, key_prefix: str
) -> AsyncIterator[StateStore]:
    """The process's own store, then one in the suite's Redis under the test's prefix."""
    if request.param == "memory":
        yield MemoryStore()
        return
    shared = RedisStore(aioredis.from_url(redis_url), key_prefix)
    yield shared
    await shared.close()
