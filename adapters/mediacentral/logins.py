"""The two login flows of the platform, and the choice between them by config.

- ``auth = "mcux"``: :class:`McuxLogin` posts JSON ``{"username", "password"}`` to the
  ``auth-mcux:login`` link of the ``mcux`` identity provider and sends the session
  cookies it gets back (kept per backend: one jar per upstream identity).
- ``auth = "oauth2"``: :class:`OAuth2Login` posts the ``password`` or
  ``client_credentials`` grant, form encoded, to the ``auth:ropc-default`` link of the
  ``oauth`` provider with HTTP Basic client authentication, and sends the access
  token as a bearer token.

Which keys a flow needs depends on other keys, which a single field's check cannot
see: :func:`missing_options` reports missing ones to the config check, with their keys.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any

from adapters.mediacentral.auth import PlatformLogin
from gateway.config import BackendConfig
from gateway.errors import ConfigError, UpstreamLoginFailed
from gateway.schema import Secret
from gateway.upstream import UpstreamClient


def _reveal(value: Any) -> str:
    if isinstance(value, Secret):
        return value.reveal()
    return value if isinstance(value, str) else ""


class McuxLogin(PlatformLogin):
    """The legacy login: JSON credentials for a session cookie."""

    provider_kind = "mcux"
    login_rels = ("auth-mcux:login",)
    flow = "mcux"

    def __init__(self, backend: str, username: str, password: str) -> None:
        super().__init__(backend)
        self._credentials = {"username": username, "password": password}

    async def authenticate(
        self, client: UpstreamClient, login_href: str
    ) -> tuple[dict[str, str], float | None]:
        """Post the credentials; the session is whatever cookies the answer sets."""
        response = await client.request(
            "POST",
            login_href,
            json_body=self._credentials,
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
        client_secret: str,
        grant: str,
        username: str = "",
        password: str = "",
    ) -> None:
        super().__init__(backend)
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._client_auth = f"Basic {basic}"
        self._form = (
            {"grant_type": "password", "username": username, "password": password}
            if grant == "password"
            else {"grant_type": "client_credentials", "scope": "openid"}
        )

    async def authenticate(
        self, client: UpstreamClient, login_href: str
    ) -> tuple[dict[str, str], float | None]:
        """Ask for a token; it lives ``expires_in`` seconds."""
        response = await client.request(
            "POST",
            login_href,
            data=self._form,
            headers={"Authorization": self._client_auth, "Accept": "application/json"},
            authenticate=False,
        )
        doc = response.json()
        token = doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token:
            raise UpstreamLoginFailed(
                f"backend {self.backend} answered the oauth2 login without an access token",
                backend=self.backend,
            )
        life = doc.get("expires_in")
        usable = isinstance(life, int | float) and not isinstance(life, bool) and life > 0
        return {"Authorization": f"Bearer {token}"}, float(life) if usable else None


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
        (key, f"required when {when}") for key in _needed(options) if not _reveal(options.get(key))
    ]


def login_for(backend: BackendConfig) -> PlatformLogin:
    """The login flow ``backend`` configures (its keys were checked with the config)."""
    options = backend.options
    flow, grant = options.get("auth", "mcux"), options.get("grant", "password")
    missing = missing_options(options)
    if missing:
        raise ConfigError([f"backends.{backend.name}.{key}: {msg}" for key, msg in missing])
    needed = _needed(options)
    value = {key: _reveal(options.get(key)) for key in needed}
    if flow == "mcux":
        return McuxLogin(backend.name, value["username"], value["password"])
    return OAuth2Login(
        backend.name,
        value["client_id"],
        value["client_secret"],
        grant,
        value.get("username", ""),
        value.get("password", ""),
    )
