"""``POST /auth/token``, the OAuth2 token endpoint (RFC 6749), and its four grants.

- ``password``: a user's name and password (a client, if one is named, authenticated too);
- ``client_credentials``: a confidential client acting as itself (never a refresh token,
  RFC 6749 section 4.4.3; a public client has no credentials: ``invalid_client``);
- ``authorization_code``: a code of ``/auth/authorize`` (:mod:`gateway.auth.authorize`),
  its ``redirect_uri`` and its PKCE ``code_verifier`` (RFC 7636, S256, checked with
  authlib's helpers); the client authenticated if confidential, named by ``client_id``
  if public. Answers an access token and a refresh token;
- ``refresh_token``: the next access token and refresh token of the grant
  (:mod:`gateway.auth.refresh`), the identity's roles worked out again from the current
  config (:func:`current_roles`): a user's from ``auth.users``; a single sign-on
  identity's from the roles its provider claimed at the login and ``auth.oidc.user_roles``,
  and none at all once single sign-on is off.

Clients authenticate as :mod:`gateway.auth.clients` says, no parameter may come twice
(RFC 6749 3.2), and each client at each address has a rate limit. Access tokens issued
to a client carry its ``client_id`` (RFC 9068), so that only that client may revoke them;
those issued under a grant carry its id (``gid``) and end with it. Errors carry RFC
6749's ``error`` member inside the problem document.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from aiohttp import web
from authlib.oauth2.rfc7636.challenge import (  # type: ignore[import-untyped]
    CODE_VERIFIER_PATTERN,
    compare_s256_code_challenge,
)

from gateway.auth.authenticator import AUTH, Authenticator
from gateway.auth.clients import (
    authenticate_client,
    client_credentials,
    invalid_client,
    oauth_form,
    rate_limit,
)
from gateway.auth.codes import Codes
from gateway.auth.identity import Identity, implied, within
from gateway.auth.refresh import Family, Grant, RefreshTokens, invalid_grant
from gateway.config.auth import Principal
from gateway.config.roles import ROLES
from gateway.web import jsoncodec
from gateway.web.errors import OAuthError
from gateway.web.routing import NO_STORE
from gateway.web.urls import client_address

log = logging.getLogger(__name__)


class OAuthServer:
    """The authorization server's state: codes and grants, measured on one clock, the
    state store's (:attr:`~gateway.state.base.StateStore.clock`), which also ages what
    it keeps of them."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator
        auth, store = authenticator.config, authenticator.store
        self.codes = Codes(store, lambda: store.clock())
        self.refresh = RefreshTokens(store, auth, lambda: store.clock())

    def __repr__(self) -> str:
        return f"OAuthServer({self.codes!r}, {self.refresh!r})"


OAUTH: Final = web.AppKey("oauth", OAuthServer)


def scope_of(form: Mapping[str, str]) -> frozenset[str]:
    """The roles a request's ``scope`` names; ``invalid_scope`` for a name that is none."""
    requested = frozenset(str(form.get("scope", "")).split())
    unknown = sorted(requested - set(ROLES))
    if unknown:
        raise OAuthError(
            "invalid_scope",
            f"{len(unknown)} unknown scope value(s); scopes are roles: {' '.join(ROLES)}",
        )
    return requested


def current_roles(authenticator: Authenticator, grant: Grant) -> frozenset[str]:
    """The roles ``grant``'s identity holds by the current config; ``invalid_grant`` when it
    is no longer one the gateway knows.

    A user's are those of ``auth.users``. A single sign-on identity's are the roles its
    provider claimed at the login and those ``auth.oidc.user_roles`` gives it now, as for
    a single sign-on session; none once single sign-on is off or ``[auth.oidc]`` is gone.
    """
    if grant.kind == "oidc":
        oidc = authenticator.config.oidc
        if oidc is None or not oidc.sso:
            raise invalid_grant("single sign-on is switched off: the grant ends; log in again")
        return authenticator.with_user_roles(grant.subject, grant.roles)
    principal = authenticator.config.users.get(grant.subject)
    if principal is None:
        raise invalid_grant(f"user {grant.subject} is no longer configured")
    return principal.roles


def granted_roles(
    roles: frozenset[str], client_roles: frozenset[str], requested: frozenset[str]
) -> frozenset[str]:
    """What a token through a client carries: the identity's ``roles`` within the client's
    ``client_roles`` (its ceiling), narrowed to ``requested`` when a scope was asked for."""
    ceiling = within(roles, client_roles)
    return within(ceiling, requested) if requested else ceiling


def _scope_text(roles: frozenset[str]) -> str:
    return " ".join(r for r in ROLES if r in roles)


async def _answer(
    request: web.Request,
    who: Identity,
    client_id: str | None,
    family: Family | None = None,
) -> web.Response:
    """The token response: an access token, and a refresh token of ``family`` if given
    (the access token is then issued under that grant, and ends with it)."""
    server = request.app[OAUTH]
    grant_id = claimed = None
    if family is not None:
        grant_id = family.id
        claimed = family.grant.roles if family.grant.kind == "oidc" else None
    access_token, ttl = server.authenticator.tokens.issue(
        who, client_id, grant_id=grant_id, claimed=claimed
    )
    body: dict[str, str | int] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": _scope_text(who.roles),
    }
    if family is not None:
        body["refresh_token"] = await server.refresh.issue(family)
    via = f" through client {client_id}" if client_id and client_id != who.name else ""
    log.info("token: %s %r got an access token%s", who.kind, who.name, via)
    return web.Response(
        body=jsoncodec.dumps(body), content_type="application/json", headers=NO_STORE
    )


def _refuse_public(principal: Principal | None) -> None:
    if principal is not None and principal.public:
        raise invalid_client(
            f"client {principal.name} is public: it may use the authorization_code grant only"
        )


def _within_roles(requested: frozenset[str], roles: frozenset[str]) -> frozenset[str]:
    if requested - implied(roles):
        raise OAuthError(
            "invalid_scope",
            "the scope may name only your roles or weaker ones: " + _scope_text(implied(roles)),
        )
    return requested or roles


async def _password(request: web.Request, form: Mapping[str, str]) -> web.Response:
    authenticator = request.app[AUTH]
    address = client_address(request)
    client = client_credentials(request, form)
    if client is not None:
        _refuse_public(authenticator.config.clients.get(client[0]))
        if await authenticator.check_secret("client", *client, address) is None:
            raise invalid_client("the client id or the client secret is wrong")
    username, password = form.get("username", ""), form.get("password", "")
    if not username or not password:
        raise OAuthError("invalid_request", "the password grant needs username and password")
    who = await authenticator.check_secret("user", username, password, address)
    if who is None:
        raise OAuthError("invalid_grant", "the user name or the password is wrong")
    roles = _within_roles(scope_of(form), who.roles)
    # No refresh token: a script that holds the password logs in again.
    client_id = client[0] if client is not None else None
    return await _answer(request, Identity(who.name, who.kind, roles), client_id)


async def _client_credentials(request: web.Request, form: Mapping[str, str]) -> web.Response:
    authenticator = request.app[AUTH]
    client = client_credentials(request, form)
    if client is None:
        raise invalid_client("authenticate the client with HTTP Basic or client_id/secret")
    _refuse_public(authenticator.config.clients.get(client[0]))
    who = await authenticator.check_secret("client", *client, client_address(request))
    if who is None:
        raise invalid_client("the client id or the client secret is wrong")
    roles = _within_roles(scope_of(form), who.roles)
    return await _answer(request, Identity(who.name, who.kind, roles), who.name)


def _required(form: Mapping[str, str], name: str, why: str) -> str:
    value = form.get(name, "")
    if not value:
        raise OAuthError("invalid_request", f"{name} is missing: {why}")
    return value


async def _authorization_code(request: web.Request, form: Mapping[str, str]) -> web.Response:
    client = await authenticate_client(request, form)
    code = _required(form, "code", "send the code /auth/authorize gave")
    redirect_uri = _required(form, "redirect_uri", "send the one of the authorization request")
    verifier = _required(form, "code_verifier", "every code is bound to a PKCE challenge")
    if not CODE_VERIFIER_PATTERN.fullmatch(verifier):
        raise OAuthError("invalid_request", "code_verifier must be 43-128 unreserved characters")
    server = request.app[OAUTH]
    pending = await server.codes.find(code)
    if pending is None:
        earlier = await server.codes.redeemed_for(code)
        if earlier is not None:
            await _replayed(server, earlier, client.name)
        raise invalid_grant("the code is unknown or has expired")
    if pending.grant.client_id != client.name:
        raise invalid_grant("the code was issued to another client")
    if server.codes.expired(pending):
        raise invalid_grant("the code has expired: it lives 60 seconds; authorize again")
    if redirect_uri != pending.redirect_uri:
        raise invalid_grant("redirect_uri is not the one of the authorization request")
    if not compare_s256_code_challenge(verifier, pending.code_challenge):
        raise invalid_grant("the code_verifier does not match the code_challenge")
    grant = pending.grant
    # As at a refresh: single sign-on switched off meanwhile, or a user removed, ends it.
    granted = granted_roles(current_roles(server.authenticator, grant), client.roles, grant.scope)
    if not granted:
        raise invalid_grant("the identity holds no role this grant covers any more")
    # The grant exists before the code is claimed: a redemption racing this one finds it
    # in the code's used record, and revokes it.
    family = await server.refresh.start(grant)
    earlier = await server.codes.claim(code, family.id)
    if earlier is not None:
        await server.refresh.revoke(family.id)
        await _replayed(server, earlier, client.name)
    return await _answer(request, Identity(grant.subject, grant.kind, granted), client.name, family)


async def _replayed(server: OAuthServer, family_id: str, client_id: str) -> None:
    """A code redeemed again: the tokens of its first redemption are revoked (RFC 6749 4.1.2),
    when its own client presents it; another client's presentation ends nothing."""
    family = await server.refresh.family(family_id) if family_id else None
    if family is not None and family.grant.client_id != client_id:
        raise invalid_grant("the code is unknown or has expired")
    if family is not None:
        await server.refresh.revoke(family_id)
    log.warning("code replay: client %s sent a used code; its tokens are revoked", client_id)
    raise invalid_grant("the code was used before; the tokens issued for it are revoked")


async def _refresh_token(request: web.Request, form: Mapping[str, str]) -> web.Response:
    client = await authenticate_client(request, form)
    token = _required(form, "refresh_token", "send the refresh token of the last answer")
    requested = scope_of(form)
    authenticator = request.app[AUTH]

    def scope(family: Family) -> frozenset[str]:
        grant = family.grant
        if requested - implied(grant.scope):
            raise OAuthError(
                "invalid_scope",
                "a refresh may narrow the scope, never widen it: the grant holds "
                + _scope_text(grant.scope),
            )
        # Roles are worked out from the current config again at every refresh.
        roles = current_roles(authenticator, grant)
        granted = granted_roles(roles, client.roles, requested or grant.scope)
        if not granted:
            raise invalid_grant("the identity holds no role this grant covers any more")
        return granted

    family, granted = await request.app[OAUTH].refresh.use(token, client.name, scope)
    who = Identity(family.grant.subject, family.grant.kind, granted)
    return await _answer(request, who, client.name, family)


Grantor = Callable[[web.Request, Mapping[str, str]], Awaitable[web.Response]]
GRANTS: Final[Mapping[str, Grantor]] = {
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
    "password": _password,
    "client_credentials": _client_credentials,
}
"""The grant types of the token endpoint (the metadata lists them in this order)."""


async def token(request: web.Request) -> web.Response:
    """``POST /auth/token``: the OAuth2 token endpoint."""
    form = await oauth_form(request)
    await rate_limit(request, form)
    grant_type = form.get("grant_type", "")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing")
    grantor = GRANTS.get(grant_type)
    if grantor is None:
        raise OAuthError("unsupported_grant_type", "grant_type must be one of " + ", ".join(GRANTS))
    return await grantor(request, form)
