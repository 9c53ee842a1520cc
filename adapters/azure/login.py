"""How the gateway logs in to a connector: a fixed bearer token, or a client-credentials login.

The connector's authentication is not documented publicly. Two ways are offered:

- ``token``: a long-lived bearer token sent as it is (:class:`~gateway.spi.StaticHeaders`);
- ``client_id`` and ``client_secret``: :class:`ClientCredentialsLogin` posts the OAuth 2.0
  ``client_credentials`` grant (RFC 6749 section 4.4), form encoded, to ``token_url``
  and sends the access token it gets as a bearer token. The token is kept in the
  strategy's login slot, renewed before it expires, fetched once for concurrent
  requests and dropped at logout (:class:`~gateway.upstream.logins.RenewingLogin`).

A gateway user's own keys (``[backends.<name>.users.<user>]``) name a whole login
themselves, either way (:func:`user_problems`): the service's keys never complete it.

Either way the connector answering 401 means the configured credentials were refused:
503 ``upstream-login-failed`` naming the backend, never a 401 that would make a client
log out of the gateway. The client secret stays a :class:`~gateway.config.schema.Secret`
until the token request is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from gateway.spi import (
    LoginResult,
    RenewingLogin,
    Secret,
    StaticHeaders,
    UpstreamAuth,
    UpstreamClient,
    UpstreamLoginFailed,
    plain,
)

ENDPOINT: Final = "/oauth2/token"
"""The token endpoint, relative to the connector's URL, unless the config names another."""
REFUSED: Final = frozenset({401})
"""The connector's answer to credentials it does not take."""
CREDENTIAL_KEYS: Final = ("token", "client_id", "client_secret")


def problems(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What is missing for either way of logging in, as (key, message)."""
    has_id = bool(plain(options.get("client_id")))
    has_secret = bool(plain(options.get("client_secret")))
    if has_id and not has_secret:
        return [("client_secret", "required with client_id")]
    if has_secret and not has_id:
        return [("client_id", "required with client_secret")]
    if not has_id and not plain(options.get("token")):
        return [("token", "required, unless client_id and client_secret are set")]
    return []


def user_problems(own: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What a user's own keys lack for a whole login, as (key, message).

    A user's half of a client completed with the service's other half would log in as
    the service, or as nobody: a user's table names a token or a whole client itself.
    """
    return [(key, f"{message}, in the user's own table") for key, message in problems(own)]


def strategy(backend: str, options: Mapping[str, Any], *, prefer_token: bool) -> UpstreamAuth:
    """The login ``options`` configure; with both ways set, ``prefer_token`` decides."""
    token = options.get("token")
    wants_token = bool(plain(token)) and (prefer_token or not plain(options.get("client_id")))
    if wants_token:
        assert isinstance(token, Secret)
        return StaticHeaders({"Authorization": f"Bearer {token.reveal()}"}, refusals=REFUSED)
    secret = options["client_secret"]
    assert isinstance(secret, Secret)
    return ClientCredentialsLogin(
        backend, options["client_id"], secret, options.get("token_url") or ENDPOINT
    )


class ClientCredentialsLogin(RenewingLogin):
    """An access token of the OAuth 2.0 client-credentials grant, as a bearer token."""

    flow = "client-credentials"
    refusals = REFUSED

    def __init__(self, backend: str, client_id: str, client_secret: Secret, token_url: str) -> None:
        super().__init__(backend)
        self.client_id = client_id
        self._secret = client_secret
        self.token_url = token_url

    def __repr__(self) -> str:
        return f"ClientCredentialsLogin({self.backend!r}, client_id={self.client_id!r})"

    async def login(self, client: UpstreamClient) -> LoginResult:
        """Post the grant; the token endpoint refusing it is the configuration's fault."""
        response = await client.request(
            "POST",
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self._secret.reveal(),
            },
            headers={"Accept": "application/json"},
            authenticate=False,
        )
        doc = response.json_object()
        token, kind = doc.get("access_token"), doc.get("token_type")
        if not isinstance(token, str) or not token or str(kind).lower() != "bearer":
            raise UpstreamLoginFailed(
                f"backend {self.backend} answered the {self.flow} login without a bearer token",
                backend=self.backend,
            )
        return LoginResult({"Authorization": f"Bearer {token}"}, _life(doc.get("expires_in")))


def _life(value: Any) -> float | None:
    # RFC 6749 says seconds as a number; some servers send them as a string.
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None
