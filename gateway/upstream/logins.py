"""Upstream sessions that a login opens and time ends: kept, shared, renewed, ended.

:class:`RenewingLogin` is the life cycle of such a session (a cookie, a bearer token);
a subclass says how to log in (:meth:`RenewingLogin.login`) and, when the upstream
can, how to extend a session (:meth:`RenewingLogin.extend`) and end it
(:meth:`RenewingLogin.end`). The rest is here:

- the session lives in the strategy's :class:`~gateway.state.base.LoginSlot` as JSON, with
  wall-clock times, until it expires: with Redis every gateway process uses the
  same upstream session;
- one login for concurrent callers: one lock per strategy in the process and, around
  the login itself, one in the state store (:class:`~gateway.state.locks.StoreLock`)
  for every process that shares it; a caller that waited for either reads the slot
  again (another caller or another process may have logged in meanwhile);
- a refused login answers for itself for ``FAILURE_HOLD_S`` seconds, so a wrong
  password costs one attempt however many requests arrive (upstreams lock accounts
  after a few);
- the session is renewed before it expires, when a fifth of its life (at most a
  minute) is left: extended if the upstream can, else a fresh login;
- after a 401 only the session the refused request went out with is dropped;
- :meth:`RenewingLogin.logout` ends the session upstream and forgets it, and the next
  request logs in again; at shutdown the session is ended only when no other process
  shares the store.
"""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Generic, TypeVar

from gateway.state.base import LoginSlot
from gateway.state.locks import StoreLock
from gateway.state.memory_store import MemoryStore
from gateway.upstream.auth import UpstreamAuth
from gateway.upstream.client import UpstreamClient
from gateway.web.errors import (
    BackendBusy,
    BackendOpen,
    UpstreamError,
    UpstreamLoginFailed,
    UpstreamStatusError,
    UpstreamUnavailable,
)

RENEW_SHARE: Final = 0.2
"""Renew when this share of a session's life is left..."""
RENEW_MAX_S: Final = 60.0
"""...but no earlier than this many seconds before it expires."""
FAILURE_HOLD_S: Final = 5.0
"""How long a failed login answers for itself before the next caller may try again."""
UNKNOWN_LIFE_S: Final = 12 * 3600.0
"""How long the store keeps a session whose upstream did not say when it ends.

The upstream answers 401 once it ends it, and the gateway logs in again then; forgetting
a live session sooner would leave it open upstream, where sessions may be counted."""
LOCK_TIMEOUTS: Final = 2
"""The store's login lock ends by itself after this many of the backend's ``timeout_s``.

A login is a few calls, each within ``timeout_s``: one that takes longer may be joined
by another process's, and a process that died logging in holds the others up no longer."""
_REFUSED: Final = frozenset({400, 401, 403})

E = TypeVar("E", bound=UpstreamError)


class Remembered(Generic[E]):
    """The last failure of one shared upstream step (a login, a registry read).

    When many requests wait for one step and it fails, each of them trying again would
    cost one more attempt for the same answer. Callers that were already waiting when
    it failed get the failure whatever the time, later callers for ``hold_s`` seconds;
    after that the next caller tries again.
    """

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.generation = 0
        """Counts failures; a caller notes it before waiting, to see one that came meanwhile."""
        self._error: E | None = None
        self._at = 0.0

    def remember(self, error: E, now: float) -> None:
        """Keep ``error``, which happened at ``now``."""
        self._error, self._at = error, now
        self.generation += 1

    def forget(self) -> None:
        """The step succeeded: nothing to answer for any more."""
        self._error = None

    def get(self, now: float, since: int) -> E | None:
        """A copy of the failure to raise, for a caller that started waiting at ``since``."""
        error = self._error
        if error is None:
            return None
        if self.generation == since and now >= self._at + self.hold_s:
            return None
        # A fresh exception per caller: one instance raised in many tasks would pile
        # their tracebacks onto each other.
        return type(error)(
            error.detail,
            backend=error.backend,
            upstream_status=error.upstream_status,
            errors=error.errors,
            upstream_code=error.upstream_code,
            headers=error.headers,
        )


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What a login gave: the headers that carry the session, its life if told, extras."""

    headers: Mapping[str, str]
    life_s: float | None = None
    """Seconds the session lives from the login; None when the upstream does not say."""
    extras: Mapping[str, str] = field(default_factory=dict)
    """Whatever else the strategy needs later (say, the hrefs to extend or end it)."""

    def __repr__(self) -> str:
        return f"LoginResult(headers={sorted(self.headers)!r}, life_s={self.life_s!r})"


@dataclass(frozen=True, slots=True)
class UpstreamSession:
    """A live upstream session: the headers that carry it, when it ends and is renewed.

    Times are epoch seconds (several processes may share the session). Its repr names
    headers and extras without their values: the session itself is a credential.
    """

    headers: Mapping[str, str]
    expires_at: float | None = None
    renew_at: float | None = None
    extras: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"UpstreamSession(headers={sorted(self.headers)!r}, expires_at={self.expires_at!r}, "
            f"renew_at={self.renew_at!r}, extras={sorted(self.extras)!r})"
        )

    def expired(self, now: float) -> bool:
        """True once the upstream no longer takes the session."""
        return self.expires_at is not None and now >= self.expires_at

    def due(self, now: float) -> bool:
        """True once the session should be renewed (always before it expires)."""
        return self.renew_at is not None and now >= self.renew_at

    def to_json(self) -> dict[str, Any]:
        """The session as the state store keeps it."""
        return {
            "headers": dict(self.headers),
            "expires_at": self.expires_at,
            "renew_at": self.renew_at,
            "extras": dict(self.extras),
        }

    @classmethod
    def from_json(cls, value: Any) -> UpstreamSession | None:
        """The session a stored value describes; None for anything else (no session)."""
        if not isinstance(value, dict):
            return None
        headers, extras = value.get("headers"), value.get("extras", {})
        times = value.get("expires_at"), value.get("renew_at")
        if not (_strings(headers) and headers and _strings(extras)):
            return None
        if not all(
            t is None or (isinstance(t, int | float) and not isinstance(t, bool)) for t in times
        ):
            return None
        return cls(dict(headers), times[0], times[1], dict(extras))


def _strings(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


class RenewingLogin(UpstreamAuth, abc.ABC):
    """The life cycle of an upstream session; subclasses add the login itself.

    ``clock`` gives the epoch seconds renewals are planned by (``time.time``; tests
    replace it). Without :meth:`attach` the session stays in a store of its own.
    """

    flow: ClassVar[str] = "upstream"
    """The flow's name in messages (the config value that chose it, say)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.clock: Callable[[], float] = time.time
        self._slot: LoginSlot | None = None
        self._lock = asyncio.Lock()
        self._failure = Remembered[UpstreamLoginFailed](FAILURE_HOLD_S)
        self._closed = False
        # Per instance: two strategies in one task must not drop each other's sessions.
        self._used: ContextVar[UpstreamSession | None] = ContextVar(
            f"upstream_session_used_{id(self)}", default=None
        )
        """The session the current task's last request went out with: a 401 drops only it."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.backend!r})"  # never the credentials

    # -- what a subclass provides -----------------------------------------------------

    @abc.abstractmethod
    async def login(self, client: UpstreamClient) -> LoginResult:
        """Log in upstream.

        An upstream error status becomes :class:`~gateway.web.errors.UpstreamLoginFailed`
        naming the backend; raise that directly for other reasons the login failed.
        """

    async def extend(self, client: UpstreamClient, session: UpstreamSession) -> float | None:
        """Extend ``session`` upstream: its new life in seconds, None if it cannot be.

        The default cannot; the session is then replaced by a fresh login. An upstream
        error means the same.
        """
        return None

    async def end(self, client: UpstreamClient, session: UpstreamSession) -> None:
        """End ``session`` upstream (logout, shutdown); the default has nothing to end."""

    # -- the UpstreamAuth contract ----------------------------------------------------

    @property
    def slot(self) -> LoginSlot:
        """Where the session is kept."""
        if self._slot is None:
            # Unattached (used on its own): a store of its own, shared with nobody.
            self._slot = LoginSlot(MemoryStore(), f"upstream:{self.backend}:own")
        return self._slot

    def attach(self, slot: LoginSlot) -> None:
        """Keep the session in ``slot``."""
        self._slot = slot

    async def headers(self, client: UpstreamClient) -> Mapping[str, str]:
        """The current session's headers, logging in or renewing first when needed."""
        session = await self._load()
        if session is None or session.due(self.clock()):
            session = await self._renew(client, session)
        self._used.set(session)
        return session.headers

    async def invalidate(self) -> None:
        """Drop the session the refused request used, unless it was already replaced."""
        used, current = self._used.get(), await self._load()
        # An extended session keeps its credentials: refused once, refused for good.
        if current is not None and (used is None or used.headers == current.headers):
            await self.slot.clear()

    async def live(self) -> bool:
        """Whether a session that has not expired is kept."""
        session = await self._load()
        return session is not None and not session.expired(self.clock())

    async def logout(self, client: UpstreamClient) -> None:
        """End the session upstream and forget it; the next request logs in again."""
        async with self._lock:
            session = await self._load()
            await self.slot.clear()
        if session is not None:
            await self.end(client, session)

    async def close(self, client: UpstreamClient) -> None:
        """At shutdown: end the session, unless other processes share it through the store.

        A caller that was waiting for the lock meanwhile does not log in again.
        """
        async with self._lock:
            self._closed = True
            if self.slot.store.shared:
                return
            session = await self._load()
            await self.slot.clear()
        if session is not None:
            await self.end(client, session)

    # -- the life cycle ---------------------------------------------------------------

    async def _load(self) -> UpstreamSession | None:
        return UpstreamSession.from_json(await self.slot.load())

    async def _save(self, session: UpstreamSession) -> None:
        expires_at = session.expires_at
        ttl = UNKNOWN_LIFE_S if expires_at is None else expires_at - self.clock()
        if ttl > 0:
            await self.slot.save(session.to_json(), ttl)
        else:
            await self.slot.clear()

    async def _renew(self, client: UpstreamClient, seen: UpstreamSession | None) -> UpstreamSession:
        generation = self._failure.generation
        # The caller's call has timeout_s in all: waiting longer for a login is no use.
        until = time.monotonic() + client.timeout_s
        async with self._lock:
            if self._closed:
                raise UpstreamUnavailable(
                    f"backend {self.backend} is shutting down", backend=self.backend
                )
            failed = self._failure.get(self.clock(), since=generation)
            if failed is not None:
                raise failed  # refused a moment ago, or while this caller waited
            current = await self._load()
            if current is not None and self._renewed(current, seen):
                return current  # renewed by another caller (or process) while this one waited
            lock = StoreLock(
                self.slot.store, f"lock:{self.slot.key}", LOCK_TIMEOUTS * client.timeout_s
            )
            if not await lock.acquire(wait_s=until - time.monotonic()):
                # Busy, not down: nothing was sent, and the upstream may be fine (the
                # breaker and MediaCentral's discovery take it so).
                raise BackendBusy(
                    f"backend {self.backend}: another gateway process is logging in there and "
                    f"did not finish within {client.timeout_s:g} s; try again shortly",
                    backend=self.backend,
                )
            try:
                return await self._replace(client, seen)
            finally:
                await lock.release()

    def _renewed(self, current: UpstreamSession, seen: UpstreamSession | None) -> bool:
        """Whether ``current`` replaced the session the caller found (missing or due)."""
        return current != seen and not current.due(self.clock())

    async def _replace(
        self, client: UpstreamClient, seen: UpstreamSession | None
    ) -> UpstreamSession:
        """Holding the store's lock: extend the session, or log in afresh."""
        current = await self._load()
        if current is not None and self._renewed(current, seen):
            return current  # another process logged in while this one waited for the lock
        if current is not None and not current.expired(self.clock()):
            extended = await self._extend(client, current)
            if extended is not None:
                await self._save(extended)
                return extended
        await self.slot.clear()
        try:
            session = await self._login(client)
        except UpstreamLoginFailed as exc:
            self._failure.remember(exc, self.clock())
            raise
        self._failure.forget()
        await self._save(session)
        return session

    def _timed(
        self,
        headers: Mapping[str, str],
        extras: Mapping[str, str],
        started: float,
        life: float | None,
    ) -> UpstreamSession:
        if life is None:
            return UpstreamSession(dict(headers), None, None, dict(extras))
        margin = min(RENEW_MAX_S, life * RENEW_SHARE)
        return UpstreamSession(dict(headers), started + life, started + life - margin, dict(extras))

    async def _extend(
        self, client: UpstreamClient, session: UpstreamSession
    ) -> UpstreamSession | None:
        started = self.clock()
        try:
            life = await self.extend(client, session)
        except UpstreamError:
            return None  # a fresh login will do
        return None if life is None else self._timed(session.headers, session.extras, started, life)

    async def _login(self, client: UpstreamClient) -> UpstreamSession:
        started = self.clock()
        try:
            result = await self.login(client)
        except (BackendOpen, BackendBusy):
            raise  # refused before it was sent: no login was tried
        except UpstreamStatusError as exc:
            client.metrics.login(failed=True)
            raise self._refused(exc) from exc
        except UpstreamError:
            client.metrics.login(failed=True)
            raise
        client.metrics.login(failed=False)
        return self._timed(result.headers, result.extras, started, result.life_s)

    def _refused(self, exc: UpstreamStatusError) -> UpstreamLoginFailed:
        status = exc.upstream_status or 0
        verb = "refused" if status in _REFUSED else f"failed ({status})"
        return UpstreamLoginFailed(
            f"backend {self.backend} {verb} the gateway's {self.flow} login",
            backend=self.backend,
            upstream_status=exc.upstream_status,
            errors=exc.errors,
            upstream_code=exc.upstream_code,
        )
