"""The cap on concurrent calls to one backend (``max_concurrent``), across processes.

A gateway in front of an upstream multiplies its callers' requests: one unified list
of a hundred assets makes dozens of upstream calls. :class:`CallSlots` bounds how many
calls to a backend are in flight at once. In one process a semaphore does it; with a
shared state store (Redis) every call also leases one of the backend's slots there, so
the cap holds for all replicas together. A call waits at most ``server.upstream_queue_s``
(and never past its own time budget) for a slot, then fails with 503 ``backend-busy``
and ``Retry-After``, having sent nothing upstream.

Leases last :data:`LEASE_S` and are renewed while a long call (a media transfer) runs,
so a replica that dies holding slots gives them back within that time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Final

from gateway.state.base import StateStore
from gateway.web.errors import BackendBusy, GatewayError

log = logging.getLogger(__name__)

LEASE_S: Final = 30.0
"""How long a shared slot stays leased without renewal."""
RENEW_S: Final = LEASE_S / 3
POLL_S: Final = (0.005, 0.05)
"""First and longest pause between tries for a shared slot while the cap is full."""


class CallSlots:
    """At most ``limit`` calls to ``backend`` in flight; shared through ``store`` when it is."""

    def __init__(
        self, backend: str, limit: int, queue_s: float, store: StateStore | None = None
    ) -> None:
        self.backend = backend
        self.limit = limit
        self.queue_s = queue_s
        self._local = asyncio.Semaphore(limit)
        self._store = store if store is not None and store.shared else None
        self._key = f"upstream-slots:{backend}"
        self.waiting = 0
        """Calls of this process waiting for a slot now."""

    def __repr__(self) -> str:
        return f"CallSlots({self.backend!r}, limit={self.limit})"

    @contextlib.asynccontextmanager
    async def held(self, budget_s: float | None = None) -> AsyncIterator[None]:
        """Hold one slot for the block; wait at most ``queue_s`` (and ``budget_s``) for it."""
        wait = self.queue_s if budget_s is None else max(0.0, min(self.queue_s, budget_s))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        if self._local.locked():
            self.waiting += 1
            try:
                await asyncio.wait_for(self._local.acquire(), timeout=wait)
            except TimeoutError:
                raise self._busy() from None
            finally:
                self.waiting -= 1
        else:
            await self._local.acquire()
        try:
            if self._store is None:
                yield
                return
            holder = uuid.uuid4().hex
            try:
                await self._lease(holder, deadline)
            except BaseException:
                # Cancelled (a unified list's slow part) while the script ran: Redis may
                # have leased the slot all the same.
                await self._release(holder)
                raise
            renewing = asyncio.create_task(self._renew(holder))
            try:
                yield
            finally:
                renewing.cancel()
                # A renewal under way ends before the release, never after it.
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
                await self._release(holder)
        finally:
            self._local.release()

    async def _lease(self, holder: str, deadline: float) -> None:
        assert self._store is not None
        loop = asyncio.get_running_loop()
        pause = POLL_S[0]
        while not await self._store.acquire_slot(self._key, self.limit, LEASE_S, holder):
            left = deadline - loop.time()
            if left <= 0:
                raise self._busy()
            # Another replica holds the slots: nothing to wait on here but time.
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, POLL_S[1])

    async def _renew(self, holder: str) -> None:
        assert self._store is not None
        while True:
            await asyncio.sleep(RENEW_S)
            try:
                if not await self._store.renew_slot(self._key, LEASE_S, holder):
                    log.warning(
                        "backend %s: an upstream call outlived its slot lease", self.backend
                    )
                    return
            except GatewayError:
                log.warning("backend %s: could not renew an upstream call slot", self.backend)

    async def _release(self, holder: str) -> None:
        assert self._store is not None
        try:
            await self._store.release_slot(self._key, holder)
        except GatewayError:
            # The lease runs out by itself; the call's own outcome matters more.
            log.warning("backend %s: could not release an upstream call slot", self.backend)

    def _busy(self) -> BackendBusy:
        return BackendBusy(
            f"backend {self.backend} is at its cap of {self.limit} concurrent calls "
            "(max_concurrent); try again shortly",
            backend=self.backend,
        )
