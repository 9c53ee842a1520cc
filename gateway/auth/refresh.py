"""Refresh tokens: opaque, rotated on every use, and one used twice ends its whole grant.

A login through ``/auth/authorize`` starts a **grant**: one client acting for one identity
within a scope, for at most ``auth.refresh_max_s`` seconds. Its refresh tokens form a
family: each use of one consumes it and gives the next (RFC 9700 section 4.14.2), and an
unused one ends after ``auth.refresh_ttl_s``. A refresh token presented after it was used
(a copy an attacker kept, or the client's own, replayed by its own client) cannot be told
from theft, so it ends the grant: every refresh token of the family, and every access
token issued under it (each names its grant in ``gid``, and
:meth:`~gateway.auth.tokens.TokenService.verify` refuses one whose grant is gone). Two
uses racing for one token are a reuse too: one wins, the other ends the grant. A token
presented by another client than its own is refused and ends nothing: a client cannot
end another's grant.

What the state store keeps, by random id or by digest (never a usable token)::

    oauth:grant:<id>             the grant, until it ends (its deletion revokes the family)
    oauth:refresh:<digest>       a live refresh token: its grant and when it ends unused
    oauth:refresh-used:<digest>  a used one: its grant, until the grant ends
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar, cast

from gateway.auth.identity import IdentityKind
from gateway.auth.tokens import grant_key
from gateway.config.auth import AuthConfig
from gateway.config.roles import ROLES
from gateway.state.base import StateStore
from gateway.web.errors import OAuthError

log = logging.getLogger(__name__)

CheckedT = TypeVar("CheckedT")
TOKEN_BYTES: Final = 32
"""Randomness of a refresh token (and of a code): 256 bits, beyond guessing."""


def digest(token: str) -> str:
    """The key part a token is stored under: its SHA-256, so the store holds no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def invalid_grant(detail: str) -> OAuthError:
    """RFC 6749's ``invalid_grant``: the code or refresh token does not hold."""
    return OAuthError("invalid_grant", detail)


def _roles(names: Any) -> frozenset[str]:
    return frozenset(r for r in names if r in ROLES) if isinstance(names, list) else frozenset()


@dataclass(frozen=True, slots=True)
class Grant:
    """What a login gave a client: to act for whom, with which roles, within which scope."""

    client_id: str
    subject: str
    """The user name (or the SSO provider's user name for kind ``oidc``)."""
    kind: IdentityKind
    roles: frozenset[str]
    """The identity's roles at the login. For ``oidc`` those its provider claimed alone
    (before ``auth.oidc.user_roles``, which the current config adds at every refresh and
    request); a user's are read from the config again at each refresh."""
    scope: frozenset[str]
    """The roles granted; a refresh may ask for fewer, never more."""

    def to_json(self) -> dict[str, Any]:
        """The grant as stored."""
        # A single sign-on identity's claimed roles under a key of their own: a record
        # that holds none (or only roles of the config) grants nothing from the claim.
        roles_key = "claimed" if self.kind == "oidc" else "roles"
        return {
            "client_id": self.client_id,
            "sub": self.subject,
            "kind": self.kind,
            roles_key: [r for r in ROLES if r in self.roles],
            "scope": [r for r in ROLES if r in self.scope],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Grant:
        """The grant :meth:`to_json` stored."""
        kind = cast(IdentityKind, data.get("kind") if data.get("kind") == "oidc" else "user")
        return cls(
            client_id=str(data.get("client_id", "")),
            subject=str(data.get("sub", "")),
            kind=kind,
            roles=_roles(data.get("claimed" if kind == "oidc" else "roles")),
            scope=_roles(data.get("scope")),
        )


@dataclass(frozen=True, slots=True)
class Family:
    """A grant as it lives in the store: its id, what it grants and when it ends."""

    id: str
    grant: Grant
    ends_at: float


class RefreshTokens:
    """Starts grants, issues and rotates their refresh tokens, and ends grants."""

    def __init__(
        self,
        store: StateStore,
        auth: AuthConfig,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._auth = auth
        self._clock = clock

    def __repr__(self) -> str:
        return f"RefreshTokens(idle={self._auth.refresh_ttl_s}s, max={self._auth.refresh_max_s}s)"

    async def start(self, grant: Grant) -> Family:
        """A new grant, with no refresh token yet."""
        family = Family(secrets.token_hex(16), grant, self._clock() + self._auth.refresh_max_s)
        record = {**grant.to_json(), "ends_at": family.ends_at}
        await self._store.put(grant_key(family.id), record, self._auth.refresh_max_s)
        return family

    async def issue(self, family: Family) -> str:
        """A new refresh token of ``family``: it ends unused after ``refresh_ttl_s``."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock()
        ends_at = min(now + self._auth.refresh_ttl_s, family.ends_at)
        record = {"grant": family.id, "ends_at": ends_at}
        await self._store.put(_live_key(digest(token)), record, max(1.0, ends_at - now))
        return token

    async def use(
        self, token: str, client_id: str, check: Callable[[Family], CheckedT]
    ) -> tuple[Family, CheckedT]:
        """Consume ``token`` of ``client_id``'s: its grant, for the next token to be issued,
        and what ``check`` (run before the token is consumed, to refuse with it kept) said.

        ``invalid_grant`` when it is unknown, ended, or another client's; when its own
        client used it before, the grant ends too.
        """
        key = digest(token)
        record = await self._store.get(_live_key(key))
        if record is None:
            used = await self._store.get(_used_key(key))
            if used is not None:
                await self._reused(str(used.get("grant", "")), client_id)
            raise invalid_grant("the refresh token is unknown, expired or revoked")
        family = await self.family(str(record.get("grant", "")))
        if family is None:
            raise invalid_grant("the refresh token's grant was revoked or has ended")
        if family.grant.client_id != client_id:
            raise invalid_grant("the refresh token was issued to another client")
        if self._clock() >= float(record.get("ends_at", 0)):
            raise invalid_grant("the refresh token has expired; log in again")
        checked = check(family)
        # The first use claims the token; a second, however close behind, is a reuse.
        # The mark is kept until the grant ends: after that the token opens nothing anyway.
        keep = max(1.0, family.ends_at - self._clock())
        if not await self._store.put_new(_used_key(key), {"grant": family.id}, keep):
            await self._reused(family.id, client_id)
        await self._store.delete(_live_key(key))
        return family, checked

    async def _reused(self, family_id: str, client_id: str) -> None:
        family = await self.family(family_id)
        if family is None or family.grant.client_id != client_id:
            # Another client's token: a client cannot end a grant that is not its own.
            raise invalid_grant("the refresh token is unknown, expired or revoked")
        log.warning(
            "refresh token reuse: the grant of client %s for %s %s is revoked",
            family.grant.client_id,
            family.grant.kind,
            family.grant.subject,
        )
        await self.revoke(family_id)
        raise invalid_grant(
            "the refresh token was used before; every token of its grant is revoked: log in again"
        )

    async def find(self, token: str) -> Family | None:
        """The grant of ``token``, live or used before; None when none is known."""
        key = digest(token)
        record = await self._store.get(_live_key(key))
        if record is None:
            record = await self._store.get(_used_key(key))
        return None if record is None else await self.family(str(record.get("grant", "")))

    async def family(self, family_id: str) -> Family | None:
        """The live grant ``family_id``; None once revoked or ended."""
        record = await self._store.get(grant_key(family_id))
        if record is None or self._clock() >= float(record.get("ends_at", 0)):
            return None
        return Family(family_id, Grant.from_json(record), float(record["ends_at"]))

    async def revoke(self, family_id: str) -> None:
        """End the grant: its refresh tokens, and every access token issued under it."""
        await self._store.delete(grant_key(family_id))


def _live_key(token_digest: str) -> str:
    return "oauth:refresh:" + token_digest


def _used_key(token_digest: str) -> str:
    return "oauth:refresh-used:" + token_digest


def _access_key(family_id: str) -> str:
    return "oauth:grant-access:" + family_id
