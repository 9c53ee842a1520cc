"""How OAuth clients authenticate at the token and revocation endpoints (RFC 6749 2.3).

A confidential client sends its secret with HTTP Basic (``client_secret_basic``, the id
and secret form-urlencoded first, as RFC 6749 2.3.1 says) or as ``client_id`` and
``client_secret`` form fields (``client_secret_post``), never both; a wrong secret counts
towards the login throttle as a wrong password does. A public client has no secret and
names itself with ``client_id`` (``none``): what binds its tokens to it is PKCE and its
registered redirect URIs, not a credential. No parameter may come twice (RFC 6749 3.2).

Both endpoints write to the state store for callers that are nobody yet, so each client
id at each client address has a token bucket (:func:`rate_limit`), of the size and refill
of ``server.rate_limit_burst`` and ``server.rate_limit_per_s``.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from typing import Final
from urllib.parse import unquote_plus

from aiohttp import web

from gateway.auth.authenticator import AUTH
from gateway.auth.ratelimit import RateLimiter
from gateway.config.auth import Principal
from gateway.config.loading import CONFIG
from gateway.web.bodies import read_form
from gateway.web.errors import OAuthError, RateLimited
from gateway.web.urls import client_address

PARAMETERS: Final = frozenset(
    {
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "scope",
        "username",
        "password",
        "client_id",
        "client_secret",
        "token",
        "token_type_hint",
    }
)
"""The parameters of the token and revocation requests: names an error may repeat."""


async def oauth_form(request: web.Request) -> dict[str, str]:
    """The form of a token or revocation request; a parameter sent twice is refused.

    RFC 6749 3.2: taking either value would let two parts of a stack read two requests.
    """
    posted = await read_form(request)
    repeated = {k for k in posted if len(posted.getall(k)) > 1}
    if repeated:
        # Only names of the protocol go into the answer and the log: others are the
        # sender's words.
        named = sorted(repeated & PARAMETERS)
        others = len(repeated) - len(named)
        listed = [*named, *([f"{others} other parameter(s)"] if others else [])]
        raise OAuthError("invalid_request", f"parameters sent more than once: {', '.join(listed)}")
    return {k: v for k, v in posted.items() if isinstance(v, str)}


async def rate_limit(request: web.Request, form: Mapping[str, str]) -> None:
    """Take one request from the bucket of the client the request names at its address;
    429 with ``Retry-After`` when it is empty."""
    limiter = RateLimiter(request.app[CONFIG].server, request.app[AUTH].store)
    if not limiter.enabled:
        return
    try:
        named = client_credentials(request, form)
    except OAuthError:
        named = None  # refused right after, with what is wrong in it
    client_id = named[0] if named is not None else ""
    if client_id not in request.app[AUTH].config.clients:
        client_id = ""  # names nobody configured share one bucket: no new one per made-up name
    bucket = await limiter.take_for(client_id, client_address(request))
    if not bucket.allowed:
        wait = max(1, math.ceil(bucket.wait_s()))
        refused = RateLimited(
            f"this client sent more than {limiter.capacity} token or revocation requests "
            f"at once from this address; try again in {wait} s",
            retry_after_s=wait,
        )
        # RFC 6749's members too, for OAuth client libraries.
        refused.extra.update(error="temporarily_unavailable", error_description=refused.detail)
        raise refused


def invalid_client(detail: str) -> OAuthError:
    """``invalid_client``: a 401 with a Basic challenge (RFC 6749 5.2)."""
    return OAuthError(
        "invalid_client",
        detail,
        status=401,
        headers={"WWW-Authenticate": 'Basic realm="hal-gateway"'},
    )


def client_credentials(request: web.Request, form: Mapping[str, str]) -> tuple[str, str] | None:
    """(client id, secret) from HTTP Basic (RFC 6749 2.3.1) or the form; None if absent.

    Both at once is an ``invalid_request``: "the client MUST NOT use more than one
    authentication method in each request", and the two could name different clients.
    A public client names itself with ``client_id`` alone: its secret is empty.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        if "client_id" in form or "client_secret" in form:
            raise OAuthError(
                "invalid_request",
                "authenticate the client with HTTP Basic or with client_id/client_secret "
                "in the body, not both",
            )
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise invalid_client("the Basic credentials are not valid base64") from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise invalid_client("the Basic credentials hold no secret")
        return unquote_plus(client_id), unquote_plus(secret)
    if form.get("client_id"):
        return form["client_id"], form.get("client_secret", "")
    return None


async def authenticate_client(request: web.Request, form: Mapping[str, str]) -> Principal:
    """The client of a token or revocation request: a confidential one by its secret (failures
    count towards throttling), a public one by its ``client_id`` alone."""
    named = client_credentials(request, form)
    if named is None:
        raise invalid_client(
            "name the client: client_id for a public client; HTTP Basic, or client_id and "
            "client_secret, for a confidential one"
        )
    client_id, secret = named
    authenticator = request.app[AUTH]
    principal = authenticator.config.clients.get(client_id)
    if principal is not None and principal.public:
        if secret:
            raise invalid_client(f"client {client_id} is public: it has no secret to send")
        return principal
    found = await authenticator.check_secret("client", client_id, secret, client_address(request))
    if found is None or principal is None:
        raise invalid_client("the client id or the client secret is wrong")
    return principal
