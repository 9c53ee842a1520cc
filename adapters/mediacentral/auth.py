"""Logging in to the platform: one upstream session per backend, shared and kept alive.

:class:`PlatformLogin` is the :class:`~gateway.upstream.UpstreamAuth` of a MediaCentral
backend. It finds the login endpoint as the platform documents it (``GET /auth`` →
``auth:identity-providers`` → the provider of the wanted ``kind``), and:

- logs in once for all concurrent requests: one lock, and callers that queued behind
  a login use its result instead of logging in again, its failure included: a refused
  login is remembered for ``FAILURE_HOLD_S`` seconds, so a wrong password costs one
  attempt however many requests arrive (platforms lock accounts after a few);
- renews the session before it expires (when a fifth of its life, at most a minute,
  is left): ``auth:token-extension`` of the current token, else a fresh login;
- logs in again when a request answered 401, unless another request already did
  (only the session that was refused is dropped);
- ends the session upstream on close (``DELETE`` of the current token); a caller that
  was waiting for the lock meanwhile does not log in again afterwards.

The flows themselves live in :mod:`adapters.mediacentral.logins`.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from adapters.mediacentral.discovery import HAL_ACCEPT, link_href
from adapters.mediacentral.remembered import Remembered
from gateway.errors import (
    UpstreamError,
    UpstreamLoginFailed,
    UpstreamStatusError,
    UpstreamUnavailable,
)
from gateway.upstream import UpstreamAuth, UpstreamClient

AUTH_ENTRY: Final = "/auth"
RENEW_SHARE: Final = 0.2
RENEW_MAX_S: Final = 60.0
_REFUSED: Final = frozenset({400, 401, 403})
FAILURE_HOLD_S: Final = 5.0
"""How long a failed login answers for itself before the next caller may try again."""


@dataclass(frozen=True, slots=True)
class UpstreamSession:
    """A live login: the headers that carry it and when it must be renewed."""

    headers: Mapping[str, str] = field(repr=False)
    """The cookie or bearer token: the session itself, never shown."""
    expires_at: float | None
    renew_at: float | None
    token_href: str | None
    extension_href: str | None

    def expired(self, now: float) -> bool:
        """True once the platform no longer takes the session."""
        return self.expires_at is not None and now >= self.expires_at

    def due(self, now: float) -> bool:
        """True once the session should be renewed (always before it expires)."""
        return self.renew_at is not None and now >= self.renew_at


def lifetime(doc: Any, fallback: float | None = None) -> float | None:
    """A session's life in seconds from ``expiresIn`` or ``expires_in``, if it is usable."""
    value = doc.get("expiresIn", doc.get("expires_in")) if isinstance(doc, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return fallback


class PlatformLogin(UpstreamAuth, abc.ABC):
    """The shared life cycle of an upstream session; subclasses add the login itself."""

    provider_kind: ClassVar[str]
    """The ``kind`` of identity provider the flow logs in with."""
    login_rels: ClassVar[tuple[str, ...]]
    """Link relations of the provider's login endpoint, in order of preference."""
    flow: ClassVar[str]
    """The flow's name in messages: the ``auth`` value that configures it."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.clock: Callable[[], float] = time.monotonic
        """The clock renewals are planned by (seconds, monotonic)."""
        self._session: UpstreamSession | None = None
        self._lock = asyncio.Lock()
        self._failure = Remembered[UpstreamLoginFailed](FAILURE_HOLD_S)
        self._closed = False
        # Per instance: two backends in one task must not drop each other's sessions.
        self._used: ContextVar[UpstreamSession | None] = ContextVar(
            f"mediacentral_session_used_{id(self)}", default=None
        )
        """The session the current task's last request went out with: a 401 drops only it."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.backend!r})"  # never the credentials

    @abc.abstractmethod
    async def authenticate(
        self, client: UpstreamClient, login_href: str
    ) -> tuple[dict[str, str], float | None]:
        """Log in at ``login_href``: the headers that carry the session, and its life if told."""

    async def headers(self, client: UpstreamClient) -> Mapping[str, str]:
        """The current session's headers, logging in or renewing first when needed."""
        session = self._session
        if session is None or session.due(self.clock()):
            session = await self._renew(client, session)
        self._used.set(session)
        return session.headers

    async def invalidate(self) -> None:
        """Drop the session the refused request used, unless it was already replaced."""
        used, current = self._used.get(), self._session
        # An extended session keeps its credentials: refused once, refused for good.
        if used is None or current is None or used.headers == current.headers:
            self._session = None

    async def close(self, client: UpstreamClient) -> None:
        """End the session upstream (``DELETE`` of the current token)."""
        async with self._lock:
            session, self._session = self._session, None
            self._closed = True
        if session is None or session.token_href is None:
            return
        await client.request(
            "DELETE",
            session.token_href,
            headers=dict(session.headers),
            authenticate=False,
            ok=(401, 404),
        )

    async def _renew(self, client: UpstreamClient, seen: UpstreamSession | None) -> UpstreamSession:
        generation = self._failure.generation
        async with self._lock:
            if self._closed:
                raise UpstreamUnavailable(
                    f"backend {self.backend} is shutting down", backend=self.backend
                )
            failed = self._failure.get(self.clock(), since=generation)
            if failed is not None:
                raise failed  # refused a moment ago, or while this caller waited
            current = self._session
            if current is not None and current is not seen and not current.due(self.clock()):
                return current  # renewed by another caller while this one waited
            if current is not None and not current.expired(self.clock()):
                extended = await self._extend(client, current)
                if extended is not None:
                    self._session = extended
                    return extended
            self._session = None
            try:
                self._session = await self._login(client)
            except UpstreamLoginFailed as exc:
                self._failure.remember(exc, self.clock())
                raise
            self._failure.forget()
            return self._session

    def _timed(
        self, session: UpstreamSession, started: float, life: float | None
    ) -> UpstreamSession:
        if life is None:
            return dataclasses.replace(session, expires_at=None, renew_at=None)
        margin = min(RENEW_MAX_S, life * RENEW_SHARE)
        return dataclasses.replace(
            session, expires_at=started + life, renew_at=started + life - margin
        )

    async def _extend(
        self, client: UpstreamClient, session: UpstreamSession
    ) -> UpstreamSession | None:
        if session.extension_href is None:
            return None
        started = self.clock()
        try:
            response = await client.request(
                "POST",
                session.extension_href,
                headers={**session.headers, "Accept": HAL_ACCEPT},
                authenticate=False,
            )
            life = lifetime(response.json())
        except UpstreamError:
            return None  # a fresh login will do
        return self._timed(session, started, life) if life is not None else None

    async def _login(self, client: UpstreamClient) -> UpstreamSession:
        started = self.clock()
        try:
            login_href, token_href = await self._login_links(client)
            headers, life = await self.authenticate(client, login_href)
            # Credentials travel only as this strategy sends them, so forgetting a
            # session (401, logout) forgets it everywhere.
            client.session.cookie_jar.clear()
            extension_href = None
            if token_href is not None:
                response = await client.request(
                    "GET",
                    token_href,
                    headers={**headers, "Accept": HAL_ACCEPT},
                    authenticate=False,
                    ok=(404, 405),
                )
                if response.status < 300:
                    doc = response.json()
                    life = lifetime(doc, life)
                    extension_href = link_href(doc, "auth:token-extension") if doc else None
        except UpstreamStatusError as exc:
            raise self._refused(exc) from exc
        session = UpstreamSession(headers, None, None, token_href, extension_href)
        return self._timed(session, started, life)

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

    async def _json(self, client: UpstreamClient, href: str) -> dict[str, Any]:
        response = await client.request(
            "GET", href, headers={"Accept": HAL_ACCEPT}, authenticate=False
        )
        doc = response.json()
        return doc if isinstance(doc, dict) else {}

    async def _login_links(self, client: UpstreamClient) -> tuple[str, str | None]:
        root = await self._json(client, AUTH_ENTRY)
        token_href = link_href(root, "auth:token", name="current")
        providers_href = link_href(root, "auth:identity-providers")
        providers = await self._json(client, providers_href) if providers_href else {}
        embedded = providers.get("_embedded")
        found = embedded.get("auth:identity-provider") if isinstance(embedded, dict) else None
        for provider in found if isinstance(found, list) else [found]:
            if isinstance(provider, dict) and provider.get("kind") == self.provider_kind:
                for rel in self.login_rels:
                    href = link_href(provider, rel)
                    if href is not None:
                        return href, token_href
        raise UpstreamLoginFailed(
            f"backend {self.backend} offers no {self.provider_kind} identity provider "
            f"for the gateway's {self.flow} login",
            backend=self.backend,
        )
