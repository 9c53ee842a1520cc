"""How a backend's credentials get onto upstream requests: the strategy contract.

:class:`UpstreamAuth` is what an adapter returns from ``upstream_auth``; fixed
credentials are :class:`StaticHeaders`, sessions a login opens are
:class:`~gateway.upstream.logins.RenewingLogin`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from gateway.state.base import LoginSlot

if TYPE_CHECKING:  # the client calls the strategy and the strategy calls the client
    from gateway.upstream.client import UpstreamClient


class UpstreamAuth(abc.ABC):
    """How a backend's credentials get onto upstream requests.

    ``headers`` is called before every request and may log in first (sharing one
    login among concurrent callers); ``invalidate`` is called when the upstream
    answered 401, so the next ``headers`` logs in again; ``close`` ends the
    upstream session, if the upstream has one.

    ``renewable`` says whether logging in again can help after a 401 (not for fixed
    credentials); ``refusals`` are the upstream statuses that mean the gateway's own
    credentials were refused: they answer 503 ``upstream-login-failed`` naming the
    backend, never a 401 that would make a client log out of the gateway.
    """

    renewable: bool = True
    refusals: frozenset[int] = frozenset()

    @abc.abstractmethod
    async def headers(self, client: UpstreamClient) -> Mapping[str, str]:
        """Headers that authenticate the next request."""

    async def invalidate(self) -> None:  # noqa: B027 - stateless strategies need nothing
        """Forget the current credentials; the next ``headers`` renews them."""

    async def close(self, client: UpstreamClient) -> None:  # noqa: B027
        """End the upstream session on shutdown."""

    def attach(self, slot: LoginSlot) -> None:  # noqa: B027 - fixed credentials keep nothing
        """Keep the upstream session in ``slot`` (memory or Redis, per identity and backend).

        Called once, before the first request, by the core.
        """

    async def logout(self, client: UpstreamClient) -> None:  # noqa: B027
        """End the upstream session now (gateway logout); the next request logs in again."""

    async def live(self) -> bool | None:
        """Whether an upstream session is live; None when no login is needed at all."""
        return None

    def active(self) -> UpstreamAuth:
        """The strategy that serves the current request (itself, but for per-identity ones)."""
        return self


class NoAuth(UpstreamAuth):
    """An upstream that needs no credentials."""

    renewable = False

    async def headers(self, client: UpstreamClient) -> Mapping[str, str]:
        """No headers."""
        return {}


class StaticHeaders(UpstreamAuth):
    """Fixed credential headers: an API key, a long-lived bearer token, HTTP Basic."""

    renewable = False

    def __init__(self, headers: Mapping[str, str], refusals: Iterable[int] = ()) -> None:
        self._headers = dict(headers)
        self.refusals = frozenset(refusals)

    def __repr__(self) -> str:
        return f"StaticHeaders({sorted(self._headers)!r})"  # names only, never values

    async def headers(self, client: UpstreamClient) -> Mapping[str, str]:
        """The configured headers."""
        return self._headers
