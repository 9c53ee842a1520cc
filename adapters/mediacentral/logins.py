"""The two login flows of the platform, and the choice between them by config.

- ``auth = "mcux"``: :class:`McuxLogin` posts JSON ``{"username", "password"}`` to the
  ``auth-mcux:login`` link of the ``mcux`` identity provider and sends the session
  cookies it gets back.
- ``auth = "oauth2"``: :class:`OAuth2Login` posts the ``password`` or
  ``client_credentials`` grant, form encoded, to the ``auth:ropc-default`` link of the
  ``oauth`` provider with HTTP Basic client authentication, and sends the OpenID token
  (``id_token``) as the bearer token, or the access token where none comes back, as
  the current sample clients do ("The authorization provides an OpenID token, which
  is to be used as the bearer token", a_ctms_session_registry.html).

The service's keys configure the backend's own login; a gateway user's keys
(``[backends.<name>.users.<user>]``) replace them for that user's login
(the config check asks :func:`personal_problems`). The keys that say who logs in
(:func:`personal_keys`) must be the user's own: the flow's other keys (the OAuth2
client of the password grant) may stay the service's, but a user's name with the
service's password, or the service's OAuth2 client for the client-credentials grant,
would log a user in as somebody else. A backend table that names none of those keys
has no service login: its users log in as themselves, through the backend's OAuth2
client if the table names one.

Which keys a flow needs depends on other keys, which a single field's check cannot
see: :func:`missing_options` reports missing ones to the config check, with their keys.

Passwords and client secrets stay :class:`~gateway.config.schema.Secret` in the flows and
are revealed only while a login request is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any

import aiohttp

from adapters.mediacentral.auth import PlatformLogin, lifetime
from gateway.spi import (
    BackendConfig,
    ConfigError,
    Secret,
    UpstreamClient,
    UpstreamLoginFailed,
    plain,
)


def _secret(value: Any) -> Secret:
    return value if isinstance(value, Secret) else Secret(plain(value))


class McuxLogin(PlatformLogin):
    """The legacy login: JSON credentials for a session cookie."""

    provider_kind = "mcux"
    login_rels = ("auth-mcux:login",)
    flow = "mcux"

    def __init__(self, backend: str, username: str, password: Secret) -> None:
        super().__init__(backend)
        self._username = username
        self._password = password

    async def authenticate(
        self, client: UpstreamClient, login_href: str
    ) -> tuple[dict[str, str], float | None]:
        """Post the credentials; the session is whatever cookies the answer sets."""
        response = await client.request(
            "POST",
            login_href,
            json_body={"username": self._username, "password": self._password.reveal()},
            headers={"Accept": "application/json"},
            authenticate=False,
        )
        jar: SimpleCookie = SimpleCookie()
        for header in response.headers.getall("Set-Cookie", ()):
            try:
                jar.load(header)
            except CookieError:
                continue  # one malformed cookie does not spoil the others
        cookies = "; ".join(
            f"{name}={morsel.value}" for name, morsel in jar.items() if morsel.value
        )
        if not cookies:
            raise UpstreamLoginFailed(
                f"backend {self.backend} accepted the mcux login but set no session cookie",
                backend=self.backend,
            )
        return {"Cookie": cookies}, None


class OAuth2Login(PlatformLogin):
    """OAuth2 with the password or the client-credentials grant, bearer tokens."""

    provider_kind = "oauth"
    login_rels = ("auth:ropc-default", "auth-oauth:ropc-ldap")
    flow = "oauth2"

    def __init__(
        self,
        backend: str,
        client_id: str,
        client_secret: Secret,
        grant: str,
        username: str = "",
        password: Secret | None = None,
    ) -> None:
        super().__init__(backend)
        self._client_id = client_id
        self._client_secret = client_secret
        self._grant = grant
        self._username = username
        self._password = password or Secret("")

    def _form(self) -> dict[str, str]:
        if self._grant == "password":
            return {
                "grant_type": "password",
                "username": self._username,
                "password": self._password.reveal(),
            }
        return {"grant_type": "client_credentials", "scope": "openid"}

    async def authenticate(
        self, client: UpstreamClient, login_href: str
    ) -> tuple[dict[str, str], float | None]:
        """Ask for a token; it lives ``expires_in`` seconds."""
        response = await client.request(
            "POST",
            login_href,
            data=self._form(),
            headers={
                "Authorization": aiohttp.encode_basic_auth(
                    self._client_id, self._client_secret.reveal()
                ),
                "Accept": "application/json",
            },
            authenticate=False,
        )
        doc = response.json()
        tokens = doc if isinstance(doc, dict) else {}
        token = tokens.get("id_token") or tokens.get("access_token")
        if not isinstance(token, str) or not token:
            raise UpstreamLoginFailed(
                f"backend {self.backend} answered the oauth2 login without an access token",
                backend=self.backend,
            )
        return {"Authorization": f"Bearer {token}"}, lifetime(doc)


def _needed(options: Mapping[str, Any]) -> list[str]:
    flow, grant = options.get("auth", "mcux"), options.get("grant", "password")
    needed = ["username", "password"] if flow == "mcux" else ["client_id", "client_secret"]
    if flow == "oauth2" and grant == "password":
        needed += ["username", "password"]
    return needed


def missing_options(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key, message) for each key the configured login flow needs but lacks."""
    flow, grant = options.get("auth", "mcux"), options.get("grant", "password")
    when = f'auth = "{flow}"' + (f' and grant = "{grant}"' if flow == "oauth2" else "")
    return [
        (key, f"required when {when}") for key in _needed(options) if not plain(options.get(key))
    ]


def login_for(backend: BackendConfig) -> PlatformLogin:
    """The login flow ``backend`` configures (its keys were checked with the config)."""
    options = backend.options
    flow, grant = options.get("auth", "mcux"), options.get("grant", "password")
    missing = missing_options(options)
    if missing:
        raise ConfigError([f"backends.{backend.name}.{key}: {msg}" for key, msg in missing])
    if flow == "mcux":
        return McuxLogin(backend.name, plain(options["username"]), _secret(options["password"]))
    return OAuth2Login(
        backend.name,
        plain(options["client_id"]),
        _secret(options["client_secret"]),
        grant,
        plain(options.get("username")),
        _secret(options.get("password")),
    )


def personal_keys(options: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys that say who logs in with the configured flow."""
    if options.get("auth", "mcux") == "oauth2" and options.get("grant") == "client_credentials":
        return ("client_id", "client_secret")
    return ("username", "password")


def personal_problems(own: Mapping[str, Any], merged: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key, message) for each key saying who logs in that a user's table takes from the
    service: the user would log in as somebody else."""
    return [
        (key, "must be the user's own: with the service's, the user would log in as another")
        for key in personal_keys(merged)
        if plain(merged.get(key)) and not plain(own.get(key))
    ]
