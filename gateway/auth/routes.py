"""The one login: ``/auth/login``, ``/auth/token``, ``/auth/me``, ``/auth/logout``, ``/admin``.

- ``POST /auth/login`` (JSON or form: ``username``, ``password``) starts a cookie
  session and answers who logged in, with the CSRF token unsafe requests must echo.
- ``POST /auth/token`` is an OAuth2 token endpoint (RFC 6749): its grants are in
  :mod:`gateway.auth.grants`; ``GET``/``POST /auth/authorize`` the authorization endpoint
  (:mod:`gateway.auth.authorize`), ``POST /auth/revoke`` token revocation
  (:mod:`gateway.auth.revocation`) and ``/.well-known/oauth-authorization-server`` the
  metadata (:mod:`gateway.auth.oauth_metadata`).
- ``GET /auth/me`` says who is calling, with which roles until when, and per backend
  they may use its methods and whether an upstream login of theirs is live (backends
  they may not use are left out, as everywhere else).
- ``POST /auth/logout`` ends the session (or revokes the bearer token) and the
  caller's own upstream sessions; a single sign-on session is also ended at the identity
  provider (:mod:`gateway.auth.sso`): 303 there for a browser's form post, else 204 with
  ``Link: <...>; rel="gw:sso-logout"``.
- ``GET /admin`` shows admins who may log in and how each backend is reached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from gateway.auth import authorize, grants, login_page, oauth_metadata, revocation, sessions, sso
from gateway.auth.access import caller_data, require_caller, visible
from gateway.auth.authenticator import AUTH, CHALLENGE, bearer_token
from gateway.auth.identity import Identity, acting_as
from gateway.auth.login_csrf import same_site
from gateway.backends.runtime import BACKENDS
from gateway.config.loading import CONFIG
from gateway.config.roles import ROLES
from gateway.web import hal
from gateway.web.bodies import FORM, read_form, read_json
from gateway.web.errors import (
    BadRequest,
    Forbidden,
    GatewayError,
    MalformedBody,
    Unauthorized,
)
from gateway.web.routing import NO_STORE, Route, add_route, hal_response
from gateway.web.urls import client_address, public_base

log = logging.getLogger(__name__)

METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


async def _fields(request: web.Request) -> Mapping[str, str]:
    """String fields of a JSON object or a form body."""
    if request.content_type == FORM:
        form = await read_form(request)
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


async def login(request: web.Request) -> web.Response:
    """``POST /auth/login``: start a session."""
    if not same_site(request):
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
    sso.login_link(doc, request)
    return hal_response(await _with_backends(request, who, doc), headers=NO_STORE)


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
    log.info("logout: %s %r", who.kind, who.name)
    # A single sign-on session ends at the identity provider too, where it offers that:
    # a browser posting a form goes there; a script is told where, never redirected
    # (a cross-origin redirect breaks fetch under CORS).
    ended = None
    if who.kind == "oidc" and who.via == "session":
        ended = await sso.end_session_url(request, data)
    if ended is None:
        return web.Response(status=204)
    if login_page.prefers_html(request):
        return web.Response(status=303, headers={**NO_STORE, "Location": ended})
    link = f'<{ended}>; rel="{sso.LOGOUT_REL}"'
    return web.Response(status=204, headers={**NO_STORE, "Link": link})


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
                {
                    "client_id": p.name,
                    "roles": sorted(p.roles),
                    "public": p.public,
                    "redirect_uris": list(p.redirect_uris),
                }
                for p in auth.clients.values()
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
            grants.token,
            produces=("application/json",),
            consumes=(FORM,),
            access="public",
            answers=(200,),
            # A request or grant it cannot take; invalid_client; the client's rate limit;
            # the store.
            errors=(400, 401, 429, 503),
        ),
    )
    authorize.setup(app)
    revocation.setup(app)
    oauth_metadata.setup(app)
    add_route(app, Route("GET", "/auth/me", me))
    add_route(
        app,
        Route("POST", "/auth/logout", logout, produces=(), consumes=None, answers=(204, 303)),
    )
    add_route(app, Route("GET", "/admin", admin, access="admin"))
