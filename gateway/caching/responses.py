"""The gateway's own response cache: answers of backends, kept per credential scope.

Entries live in the process (a :class:`cachetools.TLRUCache` bounded in bytes, each entry
until its backend's ``cache_max_age_s`` has passed). Who may reuse an entry is in its key
(:func:`gateway.caching.middleware.cache_key`): the backend, whose upstream credentials
fetched it, the caller's roles, the URL and the negotiated media type.

Writes empty entries through a per-backend *generation*, part of every key: a write
through the gateway to a backend gives it a new generation, and every entry of that
backend (the written resource, its lists, and everything else it served) is out of
reach at once, then ages out of the bounded cache. With a shared state store (Redis)
the generation lives in the store, so a write in one gateway process empties the
entries of every other; each cached GET then reads it from the store once.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Final

from cachetools import TLRUCache

from gateway.state.base import StateStore
from gateway.web.errors import GatewayError

log = logging.getLogger(__name__)

GENERATION_TTL_S: Final = 7 * 24 * 3600.0
"""How long a backend's generation stays in a shared store after its last write."""
LONGEST_LIFE_S: Final = GENERATION_TTL_S / 2
"""No entry outlives half the generation's TTL, so one stored before a generation's key
expired can never match again when the key is gone and reads as the initial one."""
_OVERHEAD: Final = 256
"""Bytes counted for an entry beside its body and headers: its key and bookkeeping."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One cached answer: a 200 with a JSON body and the headers the handler set."""

    body: bytes
    headers: tuple[tuple[str, str], ...]
    """Content-Type, ETag, Cache-Control, Vary and whatever else the handler set."""
    etag: str
    stored_at: float
    max_age_s: float

    @property
    def size(self) -> int:
        """Bytes this entry counts for against the cache's bound."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + _OVERHEAD


class ResponseCache:
    """Answers kept for at most ``max_bytes`` bytes in all; ``0`` keeps nothing.

    ``clock`` gives the time (epoch seconds); tests move it by hand.
    """

    def __init__(
        self,
        max_bytes: int,
        store: StateStore,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_bytes = max_bytes
        self.clock = clock
        self._store = store
        self._generations: dict[str, int] = {}
        # The timer reads self.clock on every use, so a clock set later is used too.
        self._entries: TLRUCache[Hashable, Entry] = TLRUCache(
            maxsize=max(1, max_bytes),
            ttu=_expiry,
            timer=lambda: self.clock(),
            getsizeof=lambda entry: entry.size,
        )

    @property
    def enabled(self) -> bool:
        """False when ``server.cache_max_bytes`` is 0."""
        return self.max_bytes > 0

    @property
    def size(self) -> int:
        """Bytes the entries held now count for."""
        return int(self._entries.currsize)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Entry | None:
        """The live entry under ``key``, if any."""
        return self._entries.get(key)

    def put(self, key: Hashable, entry: Entry) -> bool:
        """Keep ``entry`` under ``key``, evicting the least recently used; whether it was kept.

        An entry larger than the whole bound, or with no life, is not kept.
        """
        if not self.enabled or entry.max_age_s <= 0 or entry.size > self.max_bytes:
            return False
        self._entries[key] = entry
        return True

    def clear(self) -> None:
        """Drop every entry of this process."""
        self._entries.clear()

    async def generation(self, backend: str) -> str:
        """The backend's current generation, part of every key of its entries."""
        local = str(self._generations.get(backend, 0))
        if not self._store.shared:
            return local
        value = await self._store.get(_generation_key(backend))
        token = value.get("token") if value else None
        return token if isinstance(token, str) else "0"

    async def written(self, backend: str) -> None:
        """A write went to ``backend``: none of its entries may be served again.

        A store that cannot be reached is logged, not raised: the write itself is done,
        and other processes' entries age out by their max age.
        """
        self._generations[backend] = self._generations.get(backend, 0) + 1
        if not self._store.shared:
            return
        try:
            await self._store.put(
                _generation_key(backend), {"token": secrets.token_urlsafe(12)}, GENERATION_TTL_S
            )
        except GatewayError:
            log.warning("backend %s: cached answers of other processes not emptied", backend)


def _generation_key(backend: str) -> str:
    return f"cache-gen:{backend}"


def _expiry(_key: Hashable, entry: Entry, now: float) -> float:
    return now + min(entry.max_age_s, LONGEST_LIFE_S)
