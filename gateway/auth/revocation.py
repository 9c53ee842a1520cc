"""``POST /auth/revoke``: token revocation (RFC 7009).

The client authenticates as at the token endpoint (a public one names itself with
``client_id``) and sends ``token``, optionally with ``token_type_hint``
(``access_token`` or ``refresh_token``): a hint only says where to look first, the other
kind is looked at too. A refresh token ends its whole grant (every refresh token of the
family and every access token issued under it); an access token is refused from then on. A token
the gateway does not know, or no longer honours, is answered 200 as well: the client's
goal holds. A token issued to another client is not revoked, and the request is refused
with ``invalid_grant`` (RFC 7009 2.1: the client is told); an access token issued to no
client (a password grant without one) belongs to none and so is refused to every client.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from aiohttp import web
from joserfc import jws
from joserfc.errors import JoseError

from gateway.auth.authenticator import AUTH
from gateway.auth.clients import authenticate_client, oauth_form, rate_limit
from gateway.auth.grants import OAUTH
from gateway.auth.refresh import invalid_grant
from gateway.web import jsoncodec
from gateway.web.bodies import FORM
from gateway.web.errors import OAuthError, ServiceUnavailable, Unauthorized
from gateway.web.routing import NO_STORE, Route, add_route

log = logging.getLogger(__name__)

PATH: Final = "/auth/revoke"
HINTS: Final = ("access_token", "refresh_token")


def _issuer(token: str) -> Any:
    """The ``iss`` a JWT claims, before any check: only to tell the gateway's own apart."""
    try:
        claims = jsoncodec.loads(jws.extract_compact(token.encode()).payload)
    except (JoseError, ValueError):
        return None
    return claims.get("iss") if isinstance(claims, dict) else None


async def _access_token(request: web.Request, token: str, client_id: str) -> bool:
    """Revoke ``token`` if it is a live access token of the gateway's; whether it was one."""
    authenticator = request.app[AUTH]
    if _issuer(token) != authenticator.config.issuer:
        return False  # not one of the gateway's: nothing it could revoke
    try:
        claims = await authenticator.tokens.verify(token)
    except (Unauthorized, ServiceUnavailable):
        return False  # expired, revoked already, or forged: refused anyway
    if claims.get("client_id") != client_id:
        raise invalid_grant("the access token was not issued to this client; it is not revoked")
    await authenticator.tokens.revoke(token, claims)
    log.info("revoke: client %s revoked an access token of %s", client_id, claims.get("sub"))
    return True


async def _refresh_token(request: web.Request, token: str, client_id: str) -> bool:
    """End the grant of ``token`` if it is a refresh token; whether it was one."""
    refresh = request.app[OAUTH].refresh
    family = await refresh.find(token)
    if family is None:
        return False
    if family.grant.client_id != client_id:
        raise invalid_grant("the refresh token was not issued to this client; it is not revoked")
    await refresh.revoke(family.id)
    log.info(
        "revoke: client %s ended its grant for %s %s",
        client_id,
        family.grant.kind,
        family.grant.subject,
    )
    return True


async def revoke(request: web.Request) -> web.Response:
    """``POST /auth/revoke``: end an access or refresh token (RFC 7009)."""
    form = await oauth_form(request)
    await rate_limit(request, form)
    token = form.get("token", "")
    if not token:
        raise OAuthError("invalid_request", "token is missing: send the token to revoke")
    hint = form.get("token_type_hint", "")
    if hint and hint not in HINTS:
        raise OAuthError("unsupported_token_type", f"token_type_hint must be {' or '.join(HINTS)}")
    client = await authenticate_client(request, form)
    first_access = hint == "access_token"
    kinds = (_access_token, _refresh_token) if first_access else (_refresh_token, _access_token)
    for kind in kinds:
        if await kind(request, token, client.name):
            break
    return web.Response(body=b"{}", content_type="application/json", headers=NO_STORE)


def setup(app: web.Application) -> None:
    """Add the revocation endpoint."""
    add_route(
        app,
        Route(
            "POST",
            PATH,
            revoke,
            produces=("application/json",),
            consumes=(FORM,),
            access="public",
            answers=(200,),
            # A request it cannot take; invalid_client; the client's rate limit; the store.
            errors=(400, 401, 429, 503),
        ),
    )
