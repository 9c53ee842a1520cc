"""A lock on one key of the state store: one holder among every process that shares it.

:class:`StoreLock` is taken with :meth:`StateStore.put_new` (with Redis ``SET NX PX``) of
a random token, and given back by :meth:`StateStore.delete_if` of that token (with Redis a
compare-and-delete script), so a holder never frees a lock that has passed to another.
The lock ends by itself ``ttl_s`` after it was taken: a process that died holding it
blocks the others no longer than that. A caller that finds it taken tries again after
pauses that double up to :data:`LONGEST_PAUSE_S`, for as long as it is willing to wait.

With :class:`~gateway.state.memory_store.MemoryStore` the same holds within the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Final

from gateway.state.base import StateStore
from gateway.web.errors import ServiceUnavailable

log = logging.getLogger(__name__)

FIRST_PAUSE_S: Final = 0.01
"""The first pause of a caller that found the lock taken..."""
LONGEST_PAUSE_S: Final = 0.1
"""...and the longest: a waiter notices a freed lock within this."""


class StoreLock:
    """A lock under ``key`` of ``store``, held at most ``ttl_s`` seconds.

    One instance is one would-be holder: :meth:`acquire`, then :meth:`release`.
    """

    __slots__ = ("_token", "key", "store", "ttl_s")

    def __init__(self, store: StateStore, key: str, ttl_s: float) -> None:
        self.store = store
        self.key = key
        self.ttl_s = ttl_s
        self._token: str | None = None

    def __repr__(self) -> str:
        return f"StoreLock({self.key!r}, held={self.held})"

    @property
    def held(self) -> bool:
        """Whether this instance took the lock (and has not given it back)."""
        return self._token is not None

    async def acquire(self, wait_s: float) -> bool:
        """Take the lock, waiting at most ``wait_s`` seconds for it; whether it was taken.

        It is tried at least once, however small ``wait_s``.
        """
        token = secrets.token_urlsafe(16)
        deadline = time.monotonic() + wait_s
        pause = FIRST_PAUSE_S
        while not await self._put(token):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.sleep(min(pause, left))
            pause = min(2 * pause, LONGEST_PAUSE_S)
        self._token = token
        return True

    async def _put(self, token: str) -> bool:
        try:
            return await self.store.put_new(self.key, {"token": token}, self.ttl_s)
        except asyncio.CancelledError:
            # The store may have taken it before the reply was lost: held by nobody, it
            # would keep every other process out until its TTL. Shielded: a caller
            # cancelled again does not stop it.
            with contextlib.suppress(ServiceUnavailable, asyncio.CancelledError):
                await asyncio.shield(self.store.delete_if(self.key, {"token": token}))
            raise

    async def release(self) -> None:
        """Give the lock back, unless it already ended by its TTL (and maybe passed on).

        A store that cannot be reached is logged, not raised: the lock then ends by its
        TTL, and whatever the holder did stands.
        """
        token, self._token = self._token, None
        if token is None:
            return
        try:
            await self.store.delete_if(self.key, {"token": token})
        except ServiceUnavailable:
            log.warning("lock %s not released (the store is away); it ends by its TTL", self.key)
