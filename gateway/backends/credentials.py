"""Whose upstream credentials a request uses: the service's, or the gateway user's own.

A backend has either one service credential for everybody or a per-user map
(``[backends.<name>.users.<user>]``). :class:`IdentityAuth` is the
:class:`~gateway.upstream.auth.UpstreamAuth` of every backend: it picks the strategy of the
identity the running request acts as (``current``, given by the app) and delegates
to it (:meth:`IdentityAuth.active`). Each strategy keeps its upstream session in its
own :class:`~gateway.state.base.LoginSlot`, keyed by backend and identity, so logins are
cached per (identity, backend), shared through Redis when configured, and dropped one
identity at a time at logout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from gateway.config.auth import OIDC_PREFIX
from gateway.state.base import LoginSlot, StateStore
from gateway.upstream.auth import NoAuth, UpstreamAuth
from gateway.upstream.client import UpstreamClient
from gateway.web.errors import Forbidden

AuthFactory = Callable[[], UpstreamAuth]


class Caller(Protocol):
    """Who a request acts as, as far as upstream credentials care (a gateway identity)."""

    @property
    def name(self) -> str:
        """User name, client id, or the OIDC issuer's user name."""

    @property
    def kind(self) -> str:
        """``user``, ``client`` or ``oidc``."""

    @property
    def key(self) -> str:
        """A stable key for state kept per identity."""


CurrentCaller = Callable[[], Caller | None]
"""The caller the running request acts as; None outside requests (probes)."""


def mapping_name(who: Caller) -> str:
    """The ``users.<name>`` key of ``who``'s own credentials.

    Configured users and clients go by their names (the config keeps those apart); an
    identity of the OIDC issuer by ``oidc:<name>``, so that nobody at the issuer can
    take a local user's or client's credentials by choosing its name.
    """
    return OIDC_PREFIX + who.name if who.kind == "oidc" else who.name


class IdentityAuth(UpstreamAuth):
    """The upstream credentials of the current identity on one backend.

    ``service`` serves everybody on a shared backend, and the gateway's own calls
    outside any request (probes) on every backend. ``users`` maps identity names to
    factories of their own strategies: when it is not empty the backend is per-user,
    and an identity without a mapping may not use it (:meth:`allows`).
    """

    def __init__(
        self,
        backend: str,
        store: StateStore,
        service: UpstreamAuth | None,
        users: Mapping[str, AuthFactory] | None = None,
        *,
        current: CurrentCaller,
    ) -> None:
        self.backend = backend
        self._current = current
        self._store = store
        self._service = service or NoAuth()
        self._service.attach(LoginSlot(store, f"upstream:{backend}:service"))
        self._factories = dict(users or {})
        self._users: dict[str, UpstreamAuth] = {}

    def __repr__(self) -> str:
        return f"IdentityAuth({self.backend!r}, users={sorted(self._factories)!r})"

    @property
    def per_user(self) -> bool:
        """True when every identity needs its own mapping."""
        return bool(self._factories)

    def allows(self, who: Caller) -> bool:
        """Whether ``who`` has credentials on this backend."""
        return not self.per_user or mapping_name(who) in self._factories

    def scope(self, who: Caller) -> str:
        """Whose upstream credentials ``who``'s calls use: answers are shared only within one.

        ``"service"`` on a shared backend, ``"user:<key>"`` on a per-user one.
        """
        return "user:" + who.key if self.per_user else "service"

    def strategy(self, who: Caller | None) -> UpstreamAuth:
        """The strategy ``who`` uses (the service's outside requests)."""
        if who is None or not self.per_user:
            return self._service
        name = mapping_name(who)
        found = self._users.get(name)
        if found is None:
            factory = self._factories.get(name)
            if factory is None:
                raise Forbidden(f"{who.name} has no credentials for backend {self.backend}")
            found = self._users[name] = factory()
            found.attach(LoginSlot(self._store, f"upstream:{self.backend}:{who.key}"))
        return found

    def active(self) -> UpstreamAuth:
        """The strategy of the identity the running request acts as."""
        return self.strategy(self._current())

    async def headers(self, client: UpstreamClient) -> Mapping[str, str]:
        """The active strategy's headers."""
        return await self.active().headers(client)

    async def invalidate(self) -> None:
        """Drop the active strategy's session."""
        await self.active().invalidate()

    async def close(self, client: UpstreamClient) -> None:
        """End every upstream session this process holds (shutdown)."""
        for strategy in [self._service, *self._users.values()]:
            await strategy.close(client)

    async def logout(self, client: UpstreamClient) -> None:
        """End the current identity's own upstream session; a shared one stays."""
        who = self._current()
        if who is not None and self.per_user and self.allows(who):
            await self.active().logout(client)

    async def live(self) -> bool | None:
        """Whether the current identity's upstream session is live."""
        who = self._current()
        if who is not None and not self.allows(who):
            return False
        return await self.active().live()
