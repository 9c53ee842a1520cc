"""Who a request runs as: the gateway identity, and the roles it holds.

The auth middleware resolves the identity of every protected request (from the
session cookie or a bearer token) and binds it with :func:`acting_as` for the
handler's duration. Code far from the request, the upstream login strategies above
all, reads it with :func:`current`: a context variable rather than a parameter
threaded through every adapter call, and it follows the request into the tasks it
starts (``asyncio`` copies the context).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final, Literal

from gateway.config.roles import ADMIN, EDITOR, READER, ROLES

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def implied(roles: frozenset[str]) -> frozenset[str]:
    """``roles`` with every weaker role they include (an admin may act as a reader)."""
    ranks = [ROLES.index(r) for r in roles if r in ROLES]
    return frozenset(ROLES[: max(ranks) + 1]) if ranks else frozenset()


def within(roles: frozenset[str], scope: frozenset[str]) -> frozenset[str]:
    """The roles of ``roles`` a token of ``scope`` may use.

    The roles held that the scope covers; else the strongest role both allow (an
    admin's token with scope ``reader`` acts as a reader). Nothing when they share none.
    """
    allowed = implied(roles) & implied(scope)
    kept = roles & allowed
    if kept or not allowed:
        return frozenset(kept)
    return frozenset({max(allowed, key=ROLES.index)})


IdentityKind = Literal["user", "client", "oidc"]


@dataclass(frozen=True, slots=True)
class Identity:
    """A logged-in person or integration as the gateway knows it."""

    name: str
    """User name, client id, or the OIDC issuer's user name claim."""
    kind: IdentityKind
    roles: frozenset[str]
    expires_at: float | None = None
    """When the session or token ends (epoch seconds)."""
    via: Literal["session", "bearer"] = "bearer"

    @property
    def key(self) -> str:
        """A stable key for state kept per identity (upstream logins)."""
        return f"{self.kind}:{self.name}"

    def may(self, method: str) -> bool:
        """Whether the roles allow ``method`` on a backend."""
        if ADMIN in self.roles or EDITOR in self.roles:
            return True
        return READER in self.roles and method in SAFE_METHODS


_CURRENT: Final[ContextVar[Identity | None]] = ContextVar("gateway_identity", default=None)


def current() -> Identity | None:
    """The identity the running request acts as; None outside requests (probes)."""
    return _CURRENT.get()


def permits(method: str) -> bool:
    """Whether the identity of the running request may use ``method`` on a backend: which
    HAL-FORMS templates it is shown (:data:`gateway.web.halforms.PERMITS`)."""
    who = _CURRENT.get()
    return who is not None and who.may(method)


@contextmanager
def acting_as(identity: Identity | None) -> Iterator[None]:
    """Bind ``identity`` for the block (reset afterwards: connections are reused)."""
    token = _CURRENT.set(identity)
    try:
        yield
    finally:
        _CURRENT.reset(token)
