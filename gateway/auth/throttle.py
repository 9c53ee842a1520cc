"""Failed-login throttling: sliding windows per (user name, address) and per address.

Every refused login (``/auth/login``, ``/auth/token``, the authorization page) is
recorded twice: under the name it tried *from the address it came from*, and under
the address alone. Once a name has ``auth.login_attempts`` failures from one address
within ``auth.login_window_s`` seconds, that name is refused from that address, and
once an address has ``auth.login_address_attempts`` failures, whatever the names,
everything from it is refused: with 429 and ``Retry-After`` until the oldest failure
leaves the window, without checking the password. Guessing stops, and the answer is
the same whether the name exists or not.

Why not lock a name everywhere: anybody could then lock a colleague (or the whole
office behind one NAT address) out by typing wrong passwords on purpose. A name is
locked only where the guessing comes from; the per-address ceiling is generous enough
for an office of people mistyping and still stops one address from trying many names.

The windows live in the state store, so with Redis every gateway process counts the
same failures. Within a process, :meth:`LoginThrottle.attempt` admits only as many
attempts at once as failures are still allowed: concurrent guesses cannot all slip in
before the first failure is counted, while valid logins from one address run side by
side (the hashing cap, not the throttle, bounds them).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
from collections.abc import AsyncIterator
from typing import Final

from gateway.config.auth import AuthConfig
from gateway.state.base import StateStore
from gateway.web.errors import TooManyRequests

TOO_MANY: Final = "too many failed logins; try again later"
BUSY: Final = "too many logins at once from this address; try again shortly"
ADMIT_WAIT_S: Final = 30.0
"""Longest an attempt waits for the attempts before it to end."""
WAITING_PER_KEY: Final = 64
"""Attempts that may wait on one (name, address) or one address; more are refused."""


def _key(scope: str, value: str) -> str:
    # Hashed: user names and addresses are not kept as they are in the store.
    return f"failures:{scope}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


class LoginThrottle:
    """Counts failed logins, refuses attempts over the limits, and admits attempts."""

    def __init__(self, auth: AuthConfig, store: StateStore) -> None:
        self._window = auth.login_window_s
        # The windows are timed by the store's clock (StateStore.clock), and so is Retry-After.
        self._store = store
        self._limits = {"pair": auth.login_attempts, "address": auth.login_address_attempts}
        self._in_flight: dict[str, int] = {}
        # Bumped whenever an attempt ends: a count of failures read before may be stale.
        # One counter for all keys: attempts end a few times a second at most (hashing).
        self._ended = 0
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self.admit_wait_s = ADMIT_WAIT_S
        """Longest an attempt waits for the attempts before it to end."""

    def _keys(self, name: str, address: str) -> dict[str, str]:
        """The store key of each window an attempt of ``name`` from ``address`` counts in."""
        # A NUL cannot occur in an address, so no (name, address) pair hashes as another.
        return {
            "pair": _key("pair", f"{address}\0{name.lower()}"),
            "address": _key("address", address),
        }

    async def _room(self, keys: dict[str, str]) -> dict[str, int]:
        """Failures still allowed per window; 429 when one has none left."""
        retry, room = 0.0, {}
        for scope, key in keys.items():
            limit = self._limits[scope]
            failures = await self._store.window(key, self._window)
            room[scope] = limit - len(failures)
            if room[scope] <= 0:
                oldest = failures[-limit]
                retry = max(retry, oldest + self._window - self._store.clock())
        if any(left <= 0 for left in room.values()):
            raise TooManyRequests(TOO_MANY, retry_after_s=max(1, math.ceil(retry)))
        return room

    async def check(self, name: str, address: str) -> None:
        """Raise 429 when ``name`` from ``address``, or ``address`` itself, is over its limit."""
        await self._room(self._keys(name, address))

    @contextlib.asynccontextmanager
    async def attempt(self, name: str, address: str) -> AsyncIterator[None]:
        """Admit one login attempt for the block, or raise 429.

        An attempt waits (at most :attr:`admit_wait_s`, behind at most
        :data:`WAITING_PER_KEY` others) while the attempts already running could use up
        every failure its windows still allow; record a failure with :meth:`failed`
        inside the block, so that the attempts waiting see it.
        """
        keys = self._keys(name, address)
        await self._admit(keys)
        try:
            yield
        finally:
            self._end(keys)

    async def _admit(self, keys: dict[str, str]) -> None:
        """Wait until an attempt on ``keys`` fits in what their windows still allow, then
        take its place; 429 when it waits too long."""
        deadline = asyncio.get_running_loop().time() + self.admit_wait_s
        while True:
            ended = self._ended
            room = await self._room(keys)
            if ended != self._ended:
                # An attempt ended meanwhile: its failure may be missing from room.
                if asyncio.get_running_loop().time() >= deadline:
                    raise TooManyRequests(BUSY, retry_after_s=1)
                continue
            if all(self._in_flight.get(keys[s], 0) < left for s, left in room.items()):
                break
            await self._wait(keys, deadline)
        # Nothing awaited since the count was read: no other attempt slipped in between.
        for key in keys.values():
            self._in_flight[key] = self._in_flight.get(key, 0) + 1

    async def _wait(self, keys: dict[str, str], deadline: float) -> None:
        """Until an attempt on one of ``keys`` ends; 429 when too many wait, or too long."""
        if any(len(self._waiting.get(k, ())) >= WAITING_PER_KEY for k in keys.values()):
            raise TooManyRequests(BUSY, retry_after_s=1)
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for key in keys.values():
            self._waiting.setdefault(key, []).append(woken)
        try:
            left = deadline - asyncio.get_running_loop().time()
            await asyncio.wait_for(woken, max(0.0, left))
        except TimeoutError:
            raise TooManyRequests(BUSY, retry_after_s=1) from None
        finally:
            # Each key's list holds woken until here: only this finally takes it out.
            for key in keys.values():
                waiting = self._waiting[key]
                waiting.remove(woken)
                if not waiting:
                    del self._waiting[key]

    def _end(self, keys: dict[str, str]) -> None:
        """One attempt on ``keys`` ended: free its place and wake who waits for one.

        Synchronous, so a cancelled attempt cannot leave its place taken.
        """
        self._ended += 1
        for key in keys.values():
            left = self._in_flight.pop(key) - 1
            if left:
                self._in_flight[key] = left
            for woken in self._waiting.get(key, ()):
                if not woken.done():
                    woken.set_result(None)

    async def failed(self, name: str, address: str) -> None:
        """Record one failed login of ``name`` from ``address``."""
        for key in self._keys(name, address).values():
            await self._store.window(key, self._window, add=True)
