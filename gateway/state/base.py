"""Short-lived state the gateway keeps beside the sessions: the store contract.

What lives here: upstream logins per (identity, backend), revoked gateway sessions and
tokens, authorization codes and refresh-token grants (:mod:`gateway.auth.codes`,
:mod:`gateway.auth.refresh`), the windows of failed logins, the outcomes of POSTs sent with an
``Idempotency-Key`` (:mod:`gateway.auth.idempotency`), each identity's rate-limit
bucket (:mod:`gateway.auth.ratelimit`), the leases on each backend's upstream call
slots (:mod:`gateway.upstream.slots`) and the locks that let one process at a time log
in upstream (:mod:`gateway.state.locks`).
:class:`~gateway.state.memory_store.MemoryStore` keeps it in the process;
:class:`~gateway.state.redis_store.RedisStore` keeps it in Redis, so that several
gateway processes share it (``[session] store = "redis"``).
Values are JSON objects; every key lives at most its TTL.
"""

from __future__ import annotations

import abc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from gateway.web.errors import ServiceUnavailable


@dataclass(frozen=True, slots=True)
class Bucket:
    """A token bucket as one take left it: whether the take was allowed, what is left."""

    allowed: bool
    tokens: float
    """Tokens left after the take (a refused take leaves them as they were)."""
    capacity: int
    refill_per_s: float

    def wait_s(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are there again (0 when they are now)."""
        return max(0.0, (cost - self.tokens) / self.refill_per_s)

    @property
    def remaining(self) -> int:
        """Whole requests the bucket allows now."""
        return max(0, math.floor(self.tokens))


class StateStore(abc.ABC):
    """Key → JSON object with a TTL, plus sliding windows of timestamps."""

    shared: ClassVar[bool]
    """Whether other gateway processes read and write the same state."""
    clock: Callable[[], float] = time.time
    """The wall clock (epoch seconds) the lives of what is kept here are measured by: the
    memory store's TTLs, windows and buckets, and the times the gateway stamps on what it
    keeps (sessions' expiry, idempotency records). Redis ages its keys, buckets and slots
    by its own clock. Tests set a clock they move by hand."""

    @abc.abstractmethod
    async def get(self, key: str) -> dict[str, Any] | None:
        """The value under ``key``, None when absent or expired."""

    @abc.abstractmethod
    async def put(self, key: str, value: dict[str, Any], ttl_s: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_s`` seconds."""

    @abc.abstractmethod
    async def put_new(self, key: str, value: dict[str, Any], ttl_s: float) -> bool:
        """Store ``value`` for ``ttl_s`` seconds only if ``key`` holds nothing; whether it did.

        Atomic: of several callers racing for the same key (in any process sharing the
        store), exactly one gets True.
        """

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Forget ``key``."""

    @abc.abstractmethod
    async def delete_if(self, key: str, value: dict[str, Any]) -> bool:
        """Forget ``key`` only if it holds ``value``; whether it did.

        Atomic: no other process can store a value between the look and the delete (the
        release of a :class:`~gateway.state.locks.StoreLock` relies on it). Values are
        compared as JSON text, so ``value`` must be built as the stored one was.
        """

    @abc.abstractmethod
    async def window(self, key: str, window_s: float, *, add: bool = False) -> list[float]:
        """The timestamps recorded under ``key`` in the last ``window_s`` seconds.

        ``add`` records the current time first. Timestamps are epoch seconds, oldest first.
        """

    @abc.abstractmethod
    async def take(self, key: str, capacity: int, refill_per_s: float, cost: float = 1.0) -> Bucket:
        """Take ``cost`` tokens from the bucket under ``key``, if it holds them.

        The bucket holds at most ``capacity`` tokens, starts full and gains
        ``refill_per_s`` tokens a second. Atomic across every process sharing the store.
        """

    @abc.abstractmethod
    async def acquire_slot(self, key: str, limit: int, lease_s: float, holder: str) -> bool:
        """Lease one of ``limit`` slots under ``key`` to ``holder`` for ``lease_s``; whether it did.

        A lease ends when released or when ``lease_s`` has passed (a process that died
        holding one does not keep it). Atomic across every process sharing the store.
        """

    @abc.abstractmethod
    async def renew_slot(self, key: str, lease_s: float, holder: str) -> bool:
        """Extend ``holder``'s live lease to ``lease_s`` from now; False when it had lapsed."""

    @abc.abstractmethod
    async def release_slot(self, key: str, holder: str) -> None:
        """End ``holder``'s lease under ``key``."""

    async def close(self) -> None:  # noqa: B027 - the memory store holds nothing to close
        """Release connections."""


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
