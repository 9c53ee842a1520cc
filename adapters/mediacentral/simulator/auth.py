"""The simulated ``/auth`` service: identity providers, both logins, the current token.

Links are arrays, as the platform's are (PlatformAuthorization.html; the sample clients
read ``[0]`` of each):

- ``GET /auth``: HAL root linking ``auth:identity-providers``, ``auth:token`` (named
  ``current``) and ``auth:logout``.
- ``GET /auth/identity-providers``: the providers embedded as
  ``auth:identity-provider``, one of ``kind`` ``mcux`` (link ``auth-mcux:login``) and
  one of ``kind`` ``oauth`` (link ``auth:ropc-default``).
- The mcux login takes JSON ``{"username", "password"}`` and answers with the
  ``avidAccessToken`` session cookie (200, or ``303 See Other`` to ``/auth`` when the
  platform is set to redirect after login).
- The OAuth2 token endpoint takes the password and client-credentials grants, form
  encoded, with HTTP Basic client authentication (401 ``invalid_client`` without it).
- ``/auth/tokens/current``: GET describes the session (``accessToken``, and the links
  ``auth-token:extend`` and ``auth-token:removal`` the sample clients follow), a POST to
  the extension renews its life, DELETE ends it (204). Its ``expiresIn`` is this
  simulator's: no source shows the field, and the gateway does without it.
"""

from __future__ import annotations

import hmac
from typing import Final

from aiohttp import web

from adapters.mediacentral.simulator.plumbing import (
    ACCESS_COOKIE,
    Problem,
    curies,
    hal,
    origin,
    platform_of,
)
from adapters.mediacentral.simulator.state import SESSION, Json, Platform, Session
from adapters.simulation.oauth import basic_client, oauth_error
from gateway.spi import NO_STORE

AUTH_ROOT: Final = "/auth"
PROVIDERS: Final = "/auth/identity-providers"
MCUX_LOGIN: Final = "/auth/identity-providers/mcux/login"
ROPC: Final = "/auth/sso/login/oauth2/ropc/default"
TOKEN: Final = "/auth/tokens/current"
EXTENSION: Final = "/auth/tokens/current/extension"
LOGOUT: Final = "/auth/logout"
PUBLIC_PATHS: Final = (AUTH_ROOT, PROVIDERS, MCUX_LOGIN, ROPC)
"""The endpoints a caller reaches before it has a session."""


async def auth_root(request: web.Request) -> web.Response:
    """``GET /auth``."""
    base = origin(request)
    return hal(
        {
            "_links": {
                "self": {"href": base + AUTH_ROOT},
                "auth:identity-providers": [{"href": base + PROVIDERS}],
                "auth:token": [{"href": base + TOKEN, "name": "current"}],
                "auth:logout": [{"href": base + LOGOUT, "name": "reactive"}],
                "curies": curies("auth"),
            }
        }
    )


async def identity_providers(request: web.Request) -> web.Response:
    """``GET /auth/identity-providers``."""
    base = origin(request)
    providers = [
        {
            "kind": "mcux",
            "name": "MediaCentral",
            "_links": {"auth-mcux:login": [{"href": base + MCUX_LOGIN}]},
        },
        {
            "kind": "oauth",
            "name": "OAuth 2.0",
            "_links": {"auth:ropc-default": [{"href": base + ROPC}]},
        },
    ]
    return hal(
        {
            "_links": {"self": {"href": base + PROVIDERS}, "curies": curies("auth", "auth-mcux")},
            "_embedded": {"auth:identity-provider": providers},
        }
    )


async def _admit(platform: Platform) -> None:
    platform.counters.login_attempts += 1
    platform.check_watchers()  # a login that is held has arrived all the same
    if platform.hold_logins is not None:
        # Lets a caller observe what arrives while a login is still under way.
        await platform.hold_logins.wait()


def _matches(accounts: dict[str, str], name: str, secret: str) -> bool:
    expected = accounts.get(name)
    return expected is not None and hmac.compare_digest(expected.encode(), secret.encode())


def _with_cookie(response: web.Response, session: Session) -> web.Response:
    response.set_cookie(ACCESS_COOKIE, session.access_token, path="/", httponly=True)
    return response


async def mcux_login(request: web.Request) -> web.Response:
    """The legacy login: JSON credentials in, session cookie out."""
    platform = platform_of(request)
    await _admit(platform)
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) for k in ("username", "password")
    ):
        platform.counters.login_failures += 1
        raise Problem(400, "avid.auth/INVALID_REQUEST", "Expected JSON username and password")
    if not _matches(platform.users, body["username"], body["password"]):
        platform.counters.login_failures += 1
        raise Problem(401, "avid.auth/LOGIN_FAILED", "Invalid user name or password")
    session = platform.open_session("mcux", body["username"])
    if platform.mcux_redirect:
        see_other = web.Response(status=303, headers={"Location": origin(request) + AUTH_ROOT})
        return _with_cookie(see_other, session)
    return _with_cookie(web.json_response({"username": session.principal}), session)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return oauth_error(status, error, description, realm="auth")


def _token_fields(platform: Platform, session: Session) -> Json:
    return {
        "access_token": session.access_token,
        "expires_in": round(session.expires_at - platform.now()),
        "token_type": "bearer",
        "refresh_token": session.id_token[::-1],
        "scope": "openid",
        "id_token": session.id_token,
    }


async def oauth_token(request: web.Request) -> web.Response:
    """The OAuth2 token endpoint: password and client-credentials grants."""
    platform = platform_of(request)
    await _admit(platform)
    # The halves are compared as sent: the gateway's login does not form-encode them.
    client = basic_client(request.headers.get("Authorization"), form_encoded=False)
    if client is None or not _matches(platform.clients, *client):
        platform.counters.login_failures += 1
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    form = await request.post()
    grant = form.get("grant_type")
    if grant == "password":
        user, password = form.get("username"), form.get("password")
        if not isinstance(user, str) or not isinstance(password, str):
            platform.counters.login_failures += 1
            return _oauth_error(400, "invalid_request", "username and password are required")
        if not _matches(platform.users, user, password):
            platform.counters.login_failures += 1
            return _oauth_error(400, "invalid_grant", "Invalid user name or password")
        principal = user
    elif grant == "client_credentials":
        principal = client[0]
    else:
        platform.counters.login_failures += 1
        return _oauth_error(400, "unsupported_grant_type", f"Grant {grant!s:.40} is not supported")
    session = platform.open_session("oauth", principal)
    answer = web.json_response(_token_fields(platform, session), headers=NO_STORE)
    return _with_cookie(answer, session)


def _token_doc(request: web.Request, session: Session) -> web.Response:
    platform = platform_of(request)
    base = origin(request)
    extend, removal = base + EXTENSION, base + TOKEN
    if platform.token_links == "relative":
        extend, removal = EXTENSION[len(TOKEN) - len("current") :], "current"
    elif platform.token_links != "absolute":
        extend, removal = platform.token_links + EXTENSION, platform.token_links + TOKEN
    return hal(
        {
            "accessToken": session.access_token,
            "kind": session.kind,
            "principal": session.principal,
            "expiresIn": max(round(session.expires_at - platform.now()), 0),
            "_links": {
                "self": {"href": base + TOKEN},
                "auth-token:extend": [{"href": extend}],
                "auth-token:removal": [{"href": removal}],
                "curies": curies("auth", "auth-token"),
            },
        }
    )


async def current_token(request: web.Request) -> web.Response:
    """``GET /auth/tokens/current``: who is logged in and for how long."""
    return _token_doc(request, request[SESSION])


async def extend_token(request: web.Request) -> web.Response:
    """``POST /auth/tokens/current/extension``: a full life again from now."""
    platform = platform_of(request)
    session = request[SESSION]
    session.expires_at = platform.now() + platform.token_life_s
    platform.counters.extensions += 1
    return _token_doc(request, session)


async def logout(request: web.Request) -> web.Response:
    """``DELETE /auth/tokens/current`` (and ``POST /auth/logout``): end the session."""
    platform = platform_of(request)
    session = request[SESSION]
    platform.end_session(session)
    platform.counters.logouts += 1
    platform.counters.logouts_by[session.principal] += 1
    response = web.Response(status=204)
    response.del_cookie(ACCESS_COOKIE, path="/")
    return response


def add_routes(router: web.UrlDispatcher) -> None:
    """The ``/auth`` routes."""
    router.add_get(AUTH_ROOT, auth_root)
    router.add_get(PROVIDERS, identity_providers)
    router.add_post(MCUX_LOGIN, mcux_login)
    router.add_post(ROPC, oauth_token)
    router.add_get(TOKEN, current_token)
    router.add_delete(TOKEN, logout)
    router.add_post(EXTENSION, extend_token)
    router.add_post(LOGOUT, logout)
