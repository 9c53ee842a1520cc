"""The one login: ``/auth/login``, ``/auth/token``, ``/auth/me``, ``/auth/logout``, ``/admin``.

- ``POST /auth/login`` (JSON or form: ``username``, ``password``) starts a cookie
  session and answers who logged in, with the CSRF token unsafe requests must echo.
- ``POST /auth/token`` is an OAuth2 token endpoint (RFC 6749): the ``password`` and
  ``client_credentials`` grants, the client authenticated with HTTP Basic or form
  fields, never both (RFC 6749 2.3.1), and no parameter twice (3.2); errors carry
  RFC 6749's ``error`` member inside the problem document.
- ``GET /auth/me`` says who is calling, with which roles until when, and per backend
  they may use its methods and whether an upstream login of theirs is live (backends
  they may not use are left out, as everywhere else).
- ``POST /auth/logout`` ends the session (or revokes the bearer token) and the
  caller's own upstream sessions.
- ``GET /admin`` shows admins who may log in and how each backend is reached.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import unquote_plus, urlsplit

from aiohttp import web

from gateway.auth import sessions
from gateway.auth.access import caller_data, require_caller, visible
from gateway.auth.authenticator import AUTH, CHALLENGE, bearer_token
from gateway.auth.identity import Identity, acting_as, implied
from gateway.backends.runtime import BACKENDS
from gateway.config.auth import ROLES
from gateway.config.loading import CONFIG
from gateway.web import hal, jsoncodec
from gateway.web.bodies import read_json
from gateway.web.errors import (
    BadRequest,
    Forbidden,
    GatewayError,
    MalformedBody,
    OAuthError,
    Unauthorized,
)
from gateway.web.routing import NO_STORE, Route, add_route, hal_response
from gateway.web.urls import client_address, public_base

log = logging.getLogger(__name__)

FORM: Final = "application/x-www-form-urlencoded"
METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


async def _fields(request: web.Request) -> Mapping[str, str]:
    """String fields of a JSON object or a form body."""
    if request.content_type == FORM:
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    data = await read_json(request)
    if not isinstance(data, dict):
        raise MalformedBody("the body must be a JSON object with username and password")
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _me(request: web.Request, who: Identity, data: Mapping[str, Any]) -> hal.Resource:
    base = public_base(request)
    doc = hal.Resource(
        {
            "name": who.name,
            "kind": who.kind,
            "roles": [r for r in ROLES if r in who.roles],
            "via": who.via,
            "expires_at": _iso(who.expires_at),
        }
    )
    if who.via == "session":
        doc.properties["csrf_token"] = data.get("csrf")
        doc.properties["csrf_header"] = sessions.CSRF_HEADER
    doc.link("self", base + "/auth/me")
    doc.link("gw:me", base + "/auth/me")
    doc.link("gw:root", base + "/")
    doc.link("gw:logout", base + "/auth/logout")
    return doc


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


async def _with_backends(request: web.Request, who: Identity, doc: hal.Resource) -> hal.Resource:
    backends = request.app[BACKENDS]
    rows = []
    for backend in backends:
        allowed = visible(request, who, backend)
        if not allowed:
            continue  # its name is not for this caller (a 404 everywhere else)
        with acting_as(who):  # a login answers before the middleware knew who it was
            live = await backends.auth(backend).live() if allowed else False
        rows.append(
            {
                "name": backend.name,
                "title": backend.adapter.backend.title,
                "allowed": allowed,
                "methods": ["GET", "HEAD"]
                if allowed and not who.may("POST")
                else ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
                if allowed
                else [],
                "upstream_login": {True: "live", False: "none", None: "not-needed"}[live],
            }
        )
        if allowed:
            doc.add_link(
                "gw:backend",
                public_base(request) + backend.adapter.path,
                name=backend.name,
                title=backend.adapter.backend.title,
            )
    doc.properties["backends"] = rows
    return doc


def _same_site(request: web.Request) -> bool:
    """Whether a browser says the login comes from the gateway's own pages or from a page
    of an origin in ``server.cors_origins`` (or from no browser).

    A form on another site could otherwise log a visitor in as the other site's user
    (login CSRF); SameSite does not stop a cookie being set on a cross-site POST.
    """
    origin = request.headers.get("Origin")
    if origin is not None and origin in request.app[CONFIG].server.cors_origins:
        return True  # a page the gateway trusts with its login, as its CORS answers say
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    if origin is None:
        return True  # not a browser's cross-origin request
    base = urlsplit(public_base(request))
    return origin == f"{base.scheme}://{base.netloc}"


async def login(request: web.Request) -> web.Response:
    """``POST /auth/login``: start a session."""
    if not _same_site(request):
        raise Forbidden(
            "a login sent from another site's page is refused (unless server.cors_origins "
            "lists that page's origin)"
        )
    fields = await _fields(request)
    username, password = fields.get("username", ""), fields.get("password", "")
    if not username or not password:
        raise BadRequest("send username and password")
    authenticator = request.app[AUTH]
    who = await authenticator.check_secret("user", username, password, client_address(request))
    if who is None:
        raise Unauthorized(
            "the user name or the password is wrong", headers={"WWW-Authenticate": CHALLENGE}
        )
    data = await sessions.start(
        request, authenticator.store, who, authenticator.config.session_ttl_s
    )
    who = sessions.identity(data, "user", who.roles)
    log.info("login: user %s started a session", who.name)
    doc = _me(request, who, data)
    return hal_response(await _with_backends(request, who, doc), headers=NO_STORE)


def _client_credentials(request: web.Request, form: Mapping[str, str]) -> tuple[str, str] | None:
    """(client id, secret) from HTTP Basic (RFC 6749 2.3.1) or the form; None if absent.

    Both at once is an ``invalid_request``: "the client MUST NOT use more than one
    authentication method in each request", and the two could name different clients.
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
            raise _invalid_client("the Basic credentials are not valid base64") from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise _invalid_client("the Basic credentials hold no secret")
        return unquote_plus(client_id), unquote_plus(secret)
    if form.get("client_id"):
        return form["client_id"], form.get("client_secret", "")
    return None


def _invalid_client(detail: str) -> OAuthError:
    return OAuthError(
        "invalid_client",
        detail,
        status=401,
        headers={"WWW-Authenticate": 'Basic realm="hal-gateway"'},
    )


async def token(request: web.Request) -> web.Response:
    """``POST /auth/token``: the OAuth2 token endpoint."""
    posted = await request.post()
    # RFC 6749 3.2: parameters MUST NOT be included more than once; taking either value
    # would let two parts of a stack read two different requests.
    repeated = sorted({k for k in posted if len(posted.getall(k)) > 1})
    if repeated:
        raise OAuthError(
            "invalid_request", f"parameters sent more than once: {', '.join(repeated)}"
        )
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    authenticator = request.app[AUTH]
    address = client_address(request)
    grant = form.get("grant_type", "")
    client = _client_credentials(request, form)
    who: Identity | None
    if grant == "client_credentials":
        if client is None:
            raise _invalid_client("authenticate the client with HTTP Basic or client_id/secret")
        who = await authenticator.check_secret("client", client[0], client[1], address)
        if who is None:
            raise _invalid_client("the client id or the client secret is wrong")
    elif grant == "password":
        if client is not None and (
            await authenticator.check_secret("client", client[0], client[1], address) is None
        ):
            raise _invalid_client("the client id or the client secret is wrong")
        username, password = form.get("username", ""), form.get("password", "")
        if not username or not password:
            raise OAuthError("invalid_request", "the password grant needs username and password")
        who = await authenticator.check_secret("user", username, password, address)
        if who is None:
            raise OAuthError("invalid_grant", "the user name or the password is wrong")
    elif not grant:
        raise OAuthError("invalid_request", "grant_type is missing")
    else:
        raise OAuthError(
            "unsupported_grant_type", "grant_type must be password or client_credentials"
        )
    requested = frozenset(form.get("scope", "").split())
    if requested - implied(who.roles):
        raise OAuthError(
            "invalid_scope",
            "the scope may name only your roles or weaker ones: "
            + " ".join(r for r in ROLES if r in implied(who.roles)),
        )
    roles = requested or who.roles
    access_token, ttl = authenticator.tokens.issue(Identity(who.name, who.kind, roles))
    log.info("token: %s %s got an access token", who.kind, who.name)
    body = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": " ".join(r for r in ROLES if r in roles),
    }
    return web.Response(
        body=jsoncodec.dumps(body), content_type="application/json", headers=NO_STORE
    )


async def me(request: web.Request) -> web.Response:
    """``GET /auth/me``: who is calling."""
    who = require_caller(request)
    doc = _me(request, who, caller_data(request))
    return hal_response(await _with_backends(request, who, doc), headers=NO_STORE)


async def logout(request: web.Request) -> web.Response:
    """``POST /auth/logout``: end the session or token, and the caller's upstream sessions."""
    who = require_caller(request)
    backends = request.app[BACKENDS]
    for backend in backends:
        auth = backends.auth(backend)
        if not auth.allows(who):
            continue
        try:
            await auth.logout(backend.client)
        except GatewayError as exc:  # the gateway logout goes on whatever an upstream says
            log.warning("logout: backend %s: %s", backend.name, exc.detail)
    data = caller_data(request)
    authenticator = request.app[AUTH]
    if who.via == "session":
        await sessions.end(request, authenticator.store, dict(data))
    else:
        token = bearer_token(request)
        assert token is not None  # a bearer identity came with one
        await authenticator.tokens.revoke(token, data)
    log.info("logout: %s %s", who.kind, who.name)
    return web.Response(status=204)


async def admin(request: web.Request) -> web.Response:
    """``GET /admin``: who may log in, and how each backend is reached (no secrets)."""
    config = request.app[CONFIG]
    base = public_base(request)
    auth = config.auth
    backends = request.app[BACKENDS]
    doc = hal.Resource(
        {
            "config": config.source,
            "session_store": config.session.store,
            "users": [{"name": p.name, "roles": sorted(p.roles)} for p in auth.users.values()],
            "clients": [
                {"client_id": p.name, "roles": sorted(p.roles)} for p in auth.clients.values()
            ],
            "oidc": None
            if auth.oidc is None
            else {"issuer": auth.oidc.issuer, "audience": auth.oidc.audience},
            "backends": [
                {
                    "name": b.name,
                    "kind": b.adapter.kind,
                    "roles": list(b.adapter.backend.roles),
                    "credentials": "per-user" if backends.auth(b).per_user else "service",
                    "users": sorted(b.adapter.backend.users),
                    "ready": b.ready,
                    "breaker": b.breaker.state,
                    "unified_search": type(b.adapter).search_method or None,
                }
                for b in backends
            ],
        }
    )
    doc.link("self", base + "/admin")
    doc.link("gw:root", base + "/")
    return hal_response(doc)


def setup(app: web.Application) -> None:
    """Add the auth routes and the admin view."""
    add_route(
        app,
        Route(
            "POST",
            "/auth/login",
            login,
            consumes=("application/json", FORM),
            access="public",
            answers=(200,),
            # A wrong password; a login sent from another site's page.
            errors=(401, 403),
        ),
    )
    add_route(
        app,
        Route(
            "POST",
            "/auth/token",
            token,
            produces=("application/json",),
            consumes=(FORM,),
            access="public",
            answers=(200,),
            errors=(401,),  # invalid_client
        ),
    )
    add_route(app, Route("GET", "/auth/me", me))
    add_route(
        app, Route("POST", "/auth/logout", logout, produces=(), consumes=None, answers=(204,))
    )
    add_route(app, Route("GET", "/admin", admin, access="admin"))
