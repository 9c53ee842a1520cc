"""Who is calling: credentials checked against the config, bearer tokens, sessions.

:class:`Authenticator` is the one place that turns what a request carries (a bearer
token, a session cookie) or what a login sends (user name and password, client id and
secret) into an :class:`~gateway.auth.identity.Identity`. Roles always come from the
current config (or, for OIDC tokens and single sign-on sessions, the issuer's claim and
``auth.oidc.user_roles``), so a changed role or a removed user takes effect with the next
request, whatever a token says.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Final

import cachetools
from aiohttp import web

from gateway.auth import passwords, sessions
from gateway.auth.identity import Identity, IdentityKind, within
from gateway.auth.throttle import LoginThrottle
from gateway.auth.tokens import CHECKED_TOKENS, IDP_ROLES, TokenService, invalid_token
from gateway.config.auth import AuthConfig, Principal
from gateway.config.roles import ROLES
from gateway.state.base import StateStore
from gateway.web.errors import Forbidden, Unauthorized

CHALLENGE: Final = 'Bearer realm="hal-gateway"'
HASHING_AT_ONCE: Final = 4
"""Password hashes checked at the same time (each takes scrypt's memory)."""


def login_required(
    detail: str = "log in first: send a bearer token or a session cookie",
) -> Unauthorized:
    """The 401 for a request without credentials."""
    return Unauthorized(detail, headers={"WWW-Authenticate": CHALLENGE})


class Authenticator:
    """Checks credentials and resolves the identity of requests."""

    def __init__(self, auth: AuthConfig, store: StateStore) -> None:
        self.config = auth
        self.store = store
        self.tokens = TokenService(auth, store)
        self.throttle = LoginThrottle(auth, store)
        # An unknown name is checked against the dearest hash of its kind, so that a
        # refusal takes no less time than for a known one.
        self._decoys = {
            kind: _dearest(self._principals(kind).values())
            or _dearest([*auth.users.values(), *auth.clients.values()])
            for kind in ("user", "client")
        }
        # Hashes are memory-hard: a flood of logins must not run them all at once.
        self._hashing = asyncio.Semaphore(HASHING_AT_ONCE)
        # A checked token names the same identity for as long as the process runs (its
        # config does not change): made once per token, not per request.
        self._token_identities: cachetools.LRUCache[str, Identity] = cachetools.LRUCache(
            maxsize=CHECKED_TOKENS
        )

    def __repr__(self) -> str:
        return f"Authenticator(users={len(self.config.users)}, clients={len(self.config.clients)})"

    def _principals(self, kind: IdentityKind) -> Mapping[str, Principal]:
        return self.config.users if kind == "user" else self.config.clients

    async def check_secret(
        self, kind: IdentityKind, name: str, secret: str, address: str
    ) -> Identity | None:
        """The identity when ``secret`` is right; failures count towards throttling (429).

        The throttle admits as many attempts at once as failures are still allowed, so
        concurrent guesses cannot outrun the limit while valid logins run side by side.
        """
        async with self.throttle.attempt(name, address):
            principal = self._principals(kind).get(name)
            stored = principal.secret_hash if principal is not None else None
            decoy = self._decoys[kind]
            if decoy is not None:
                async with self._hashing:
                    if await passwords.verify_async(secret, stored, decoy):
                        assert principal is not None
                        return Identity(principal.name, kind, principal.roles)
            await self.throttle.failed(name, address)
            return None

    def from_claims(self, claims: Mapping[str, Any]) -> Identity:
        """The identity a checked token names; 401 when it names nobody known any more."""
        scope = frozenset(str(claims.get("scope", "")).split())
        if claims.get("iss") == self.config.issuer:
            kind = claims.get("kind")
            if kind == "oidc":
                # A person of the SSO provider, through /auth/authorize: no config entry
                # names them. Their roles are worked out again as for a single sign-on
                # session, from the provider's claim kept in the token and the current
                # config; the scope only narrows them.
                oidc = self.config.oidc
                if oidc is None or not oidc.sso:
                    raise invalid_token("single sign-on is switched off: log in again")
                claimed = frozenset(str(claims.get(IDP_ROLES, "")).split()) & set(ROLES)
                name = str(claims["sub"])
                roles = within(self.with_user_roles(name, claimed), scope)
                if not roles:
                    raise invalid_token(
                        "the identity holds no role this access token covers any more"
                    )
                return Identity(
                    name,
                    "oidc",
                    roles,
                    expires_at=float(claims["exp"]),
                )
            if kind not in ("user", "client"):
                raise invalid_token("the access token names no kind of identity")
            principal = self._principals(kind).get(str(claims["sub"]))
            if principal is None:
                raise invalid_token("the access token's identity is no longer configured")
            return Identity(
                principal.name,
                kind,
                within(principal.roles, scope),
                expires_at=float(claims["exp"]),
            )
        oidc = self.config.oidc
        assert oidc is not None
        name = claims.get(oidc.username_claim) or claims["sub"]
        return Identity(
            str(name),
            "oidc",
            _roles_claim(_claim(claims, oidc.roles_claim)),
            expires_at=float(claims["exp"]),
        )

    async def identify(self, request: web.Request) -> tuple[Identity | None, Mapping[str, Any]]:
        """Who sent ``request``, and the session's or token's data; (None, {}) for nobody.

        A bearer token wins over a cookie. A bearer token that does not hold is a 401
        (the client must learn its token is bad); a session that ended is no session.
        """
        token = bearer_token(request)
        if token is not None:
            claims = await self.tokens.verify(token)
            who = self._token_identities.get(token)
            if who is None:
                who = self._token_identities[token] = self.issuer_identity(claims)
            return who, claims
        data = await sessions.load(request, self.store)
        if data is None:
            return None, {}
        kind = data.get("kind")
        if kind == "oidc":
            return self._sso_session(data)
        principal = self._principals(kind).get(data.get("sub", "")) if kind == "user" else None
        if principal is None:
            return None, {}
        return sessions.identity(data, "user", principal.roles), data

    def issuer_identity(self, claims: Mapping[str, Any]) -> Identity:
        """The identity checked claims name; for the OIDC issuer's, with the roles
        ``auth.oidc.user_roles`` gives its user beside those of the claim.

        Both the issuer's bearer tokens and single sign-on come through here. With
        ``username_claim = "email"`` the issuer must vouch for the address
        (``email_verified`` true), else 403.
        """
        who = self.from_claims(claims)
        oidc = self.config.oidc
        if oidc is None or claims.get("iss") != oidc.issuer:
            return who
        if oidc.username_claim == "email" and claims.get("email_verified") not in (True, "true"):
            # Where people may type in any address, an unverified one could be a listed
            # person's, and their [auth.oidc.user_roles] with it.
            raise Forbidden(
                "the identity provider has not verified this user's email address "
                "(email_verified is not true), and the gateway names its users by it "
                '(auth.oidc.username_claim = "email"): verify the address at the provider'
            )
        return dataclasses.replace(who, roles=self.with_user_roles(who.name, who.roles))

    def with_user_roles(self, name: str, claimed: frozenset[str]) -> frozenset[str]:
        """``claimed`` and the roles ``auth.oidc.user_roles`` gives the issuer's user ``name``."""
        oidc = self.config.oidc
        return claimed | (oidc.user_roles.get(name, frozenset()) if oidc else frozenset())

    def _sso_session(self, data: dict[str, Any]) -> tuple[Identity | None, Mapping[str, Any]]:
        """A single sign-on session: the roles its login's claim gave, and those the current
        config gives; no session once single sign-on is off or no role is left."""
        oidc = self.config.oidc
        kept = data.get("roles")
        if oidc is None or not oidc.sso or not isinstance(kept, list):
            return None, {}
        claimed = frozenset(r for r in kept if r in ROLES)
        roles = self.with_user_roles(str(data.get("sub", "")), claimed)
        if not roles:
            return None, {}
        return sessions.identity(data, "oidc", roles), data


def _dearest(principals: Iterable[Principal]) -> str | None:
    """The hash of the highest cost among ``principals``, if any (public clients have none)."""
    hashes = (p.secret_hash for p in principals if p.secret_hash is not None)
    return max(hashes, key=passwords.cost_of, default=None)


def bearer_token(request: web.Request) -> str | None:
    """The bearer token of the ``Authorization`` header; 401 for any other scheme."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise login_required("only bearer tokens are accepted in Authorization")
    return token.strip()


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name, dots reaching into objects (Keycloak's ``realm_access.roles``)."""
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _roles_claim(value: Any) -> frozenset[str]:
    """Gateway roles from an issuer's claim: a list or a space-separated string."""
    items = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    return frozenset(r for r in items if r in ROLES)


AUTH: Final = web.AppKey("auth", Authenticator)
