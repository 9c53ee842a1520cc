"""The Azure connector simulator's token endpoint: the OAuth 2.0 client-credentials grant.

The connector's authentication is not documented publicly; the simulator offers, beside
its fixed bearer token, what Azure services commonly use: ``POST /oauth2/token`` with
``grant_type=client_credentials`` (RFC 6749 section 4.4). The client authenticates with
``client_id`` and ``client_secret`` in the form, or with HTTP Basic (section 2.3.1). The
answer is ``{"access_token", "token_type": "Bearer", "expires_in"}`` with
``Cache-Control: no-store``; errors are section 5.2's ``{"error", "error_description"}``
(400, and 401 for ``invalid_client``). An access token is good for ``expires_in``
seconds by the simulator's clock; after that the API answers 401 with RFC 6750's
``error="invalid_token"``.
"""

from __future__ import annotations

import hmac
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web

from adapters.simulation.oauth import basic_client, oauth_error
from gateway.spi import NO_STORE

TOKEN_PATH: Final = "/oauth2/token"
GRANT: Final = "client_credentials"
_FORM: Final = "application/x-www-form-urlencoded"


@dataclass(slots=True)
class Issued:
    """An access token the endpoint handed out: whose, and until when."""

    client_id: str
    expires_at: float


@dataclass(slots=True)
class TokenIssuer:
    """The registered clients, the tokens issued to them, and the clock they expire by."""

    clients: Mapping[str, str] = field(repr=False)
    """Client id → client secret."""
    ttl_s: int
    """The life of an access token, in whole seconds as ``expires_in`` tells it."""
    clock: Callable[[], float]
    issued: dict[str, Issued] = field(default_factory=dict, repr=False)
    requests: Counter[str] = field(default_factory=Counter)
    """Successful token requests per client id."""

    def issue(self, client_id: str) -> str:
        """A fresh access token for ``client_id``."""
        now = self.clock()
        # Expired tokens are of no more use: forget them, so memory stays bounded.
        for token in [t for t, i in self.issued.items() if i.expires_at <= now]:
            del self.issued[token]
        token = secrets.token_urlsafe(32)
        self.issued[token] = Issued(client_id, now + self.ttl_s)
        self.requests[client_id] += 1
        return token

    def lookup(self, token: str) -> Issued | None:
        """The grant of an issued token (expired or not); None for a token never issued."""
        return self.issued.get(token)

    def expired(self, grant: Issued) -> bool:
        """True once ``grant`` is no longer good."""
        return self.clock() >= grant.expires_at

    def authenticate(self, client_id: str, secret: str) -> bool:
        """Whether ``secret`` is the secret of ``client_id``."""
        known = self.clients.get(client_id)
        return known is not None and hmac.compare_digest(known, secret)


def _error(status: int, error: str, description: str) -> web.Response:
    return oauth_error(status, error, description, realm="Azure Media Services Connector")


async def token_endpoint(request: web.Request) -> web.StreamResponse:
    """``POST /oauth2/token``: an access token for a registered client."""
    issuer = request.app[ISSUER]
    if request.content_type != _FORM:
        return _error(400, "invalid_request", f"The request body must be {_FORM}.")
    form = await request.post()
    grant_type = form.get("grant_type")
    if not isinstance(grant_type, str) or not grant_type:
        return _error(400, "invalid_request", "grant_type is required.")
    header = request.headers.get("Authorization")
    sent_id, sent_secret = form.get("client_id"), form.get("client_secret")
    if header is not None:
        basic = basic_client(header)
        if basic is None or sent_secret is not None:
            return _error(401, "invalid_client", "Authenticate the client one way only.")
        client_id, secret = basic
    elif isinstance(sent_id, str) and isinstance(sent_secret, str):
        client_id, secret = sent_id, sent_secret
    else:
        return _error(401, "invalid_client", "Client authentication is required.")
    if not issuer.authenticate(client_id, secret):
        return _error(401, "invalid_client", "Unknown client or wrong client secret.")
    if grant_type != GRANT:
        return _error(400, "unsupported_grant_type", f"Only {GRANT} is supported.")
    token = issuer.issue(client_id)
    body = {"access_token": token, "token_type": "Bearer", "expires_in": issuer.ttl_s}
    return web.json_response(body, headers=NO_STORE)


ISSUER: Final = web.AppKey("azure_token_issuer", TokenIssuer)


def add_routes(router: web.UrlDispatcher) -> None:
    """The token endpoint."""
    router.add_post(TOKEN_PATH, token_endpoint)
