"""``GET /.well-known/oauth-authorization-server``: the authorization server's metadata
(RFC 8414), public.

The ``issuer`` is the gateway's public base URL (``server.public_url``, else the URL the
request reached): RFC 8414 wants an https URL that clients compare with where they
fetched the metadata, and RFC 9207 the same value as ``iss`` in every authorization
response. It is not the ``iss`` claim inside the gateway's access tokens
(``auth.issuer``): that one names the signer for the gateway's own checks of its JWTs,
which clients treat as opaque. Behind a proxy that serves the gateway under a path
(``https://host/gateway``), RFC 8414 3.1 puts this document at
``https://host/.well-known/oauth-authorization-server/gateway``: route that to this path.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from gateway.auth import authorize, revocation
from gateway.auth.grants import GRANTS
from gateway.config.roles import ROLES
from gateway.web.routing import Route, add_route
from gateway.web.urls import public_base

PATH: Final = "/.well-known/oauth-authorization-server"
CLIENT_AUTH_METHODS: Final = ("client_secret_basic", "client_secret_post", "none")
"""HTTP Basic, the form's client_id and client_secret, or (public clients) client_id alone."""


def metadata(base: str) -> dict[str, Any]:
    """The metadata of the authorization server at ``base``."""
    return {
        "issuer": base,
        "authorization_endpoint": base + authorize.PATH,
        "token_endpoint": base + "/auth/token",
        "revocation_endpoint": base + revocation.PATH,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANTS),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "scopes_supported": list(ROLES),
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": base + "/rels/authorize",
    }


async def oauth_metadata(request: web.Request) -> web.Response:
    """``GET /.well-known/oauth-authorization-server``: where and how to get tokens here."""
    return web.json_response(metadata(public_base(request)))


def setup(app: web.Application) -> None:
    """Add the metadata document."""
    add_route(
        app,
        Route("GET", PATH, oauth_metadata, produces=("application/json",), access="public"),
    )
