"""``/auth/authorize``: the authorization endpoint (RFC 6749 4.1, PKCE RFC 7636, RFC 9207).

``GET /auth/authorize?response_type=code&client_id=..&redirect_uri=..&code_challenge=..
&code_challenge_method=S256[&scope=..][&state=..]``:

1. ``client_id`` and ``redirect_uri`` are checked first: a configured client, and one of
   its registered URIs (:func:`gateway.config.redirects.registered`). Anything wrong there
   is a 400, never a redirect: the gateway sends browsers only to URIs it knows.
2. Anything else wrong goes back to ``redirect_uri`` as ``error``, ``error_description``,
   ``state`` and ``iss`` (RFC 6749 4.1.2.1, RFC 9207): a ``response_type`` other than
   ``code``, no PKCE challenge, a method other than ``S256`` (``plain`` is refused), a
   scope that names no role or more than the client's ``roles`` allow.
3. A browser with a gateway session (its cookie) gets a code at once, when the client is
   confidential and its redirect URI https: 307 to ``redirect_uri?code=..&state=..&iss=..``.
   ``iss`` is the public base URL, the ``issuer`` of the metadata. A code for a public
   client, or to a URI that is not https (a loopback port, an app's private-use scheme),
   could be redeemed by whatever app holds that port or scheme, with a challenge of its own
   (RFC 8252 8.6): any page could send a logged-in browser here for one. So these get the
   consent page first, "Continue to <client>", whose form carries the session's CSRF token
   and posts to ``POST /auth/authorize/consent`` (:data:`CONSENT_PATH`); only then is the
   code issued, and a page goes on to the client with it.
4. Otherwise the login page (:mod:`gateway.auth.login_page`); it posts the name, the
   password and the request's parameters to ``POST /auth/authorize``, which is guarded
   against login CSRF, checks the password like every login (throttled: 429), starts a
   gateway session, and issues the code: a page goes on to the client with it (the person
   has just said yes by logging in for it). A wrong password shows the form again (401).

The token carries only roles the identity holds, within the client's ``roles`` (its
ceiling), and of those the ones the scope names, if it names any. Errors are problem
documents, or, for a browser (``Accept`` prefers ``text/html``), pages with the same
status.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final
from urllib.parse import quote, urlencode, urlsplit

from aiohttp import web
from multidict import MultiDict

from gateway.auth import login_page, sessions
from gateway.auth.access import caller, caller_data
from gateway.auth.authenticator import AUTH, CHALLENGE
from gateway.auth.authorization_request import (
    AuthorizationRequest,
    Refused,
    checked,
    client_and_redirect,
    location,
    silent,
)
from gateway.auth.grants import OAUTH, granted_roles
from gateway.auth.identity import Identity, implied
from gateway.auth.login_csrf import csrf_field_matches, same_site
from gateway.auth.refresh import Grant
from gateway.auth.sessions import CSRF_FIELD
from gateway.config.loading import CONFIG
from gateway.config.roles import ROLES
from gateway.web import problem
from gateway.web.bodies import FORM, read_form
from gateway.web.errors import BadRequest, Forbidden, Unauthorized
from gateway.web.routing import NO_STORE, QueryParam, Route, add_route
from gateway.web.urls import client_address, public_base

log = logging.getLogger(__name__)

PATH: Final = "/auth/authorize"
CONSENT_PATH: Final = "/auth/authorize/consent"
"""Where the consent page posts the person's word: a code for the client, or none."""
SSO_LOGIN_PATH: Final = "/auth/login/oidc"
"""The single sign-on login, which comes back to ``return_to`` once it has a session."""


def _back(
    request: web.Request, wanted: AuthorizationRequest, answer: Mapping[str, str]
) -> web.Response:
    """307 to the client's redirect URI with ``answer``, ``state`` and ``iss``."""
    target = location(request, wanted, answer)
    return web.Response(status=307, headers={**NO_STORE, "Location": target})


def _session_identity(request: web.Request) -> Identity | None:
    """Who the browser's gateway session is; a bearer token is no browser login."""
    who = caller(request)
    return who if who is not None and who.via == "session" else None


def _login_form(
    request: web.Request, wanted: AuthorizationRequest, username: str = "", message: str = ""
) -> login_page.LoginForm:
    base = public_base(request)
    oidc = request.app[CONFIG].auth.oidc
    sso_href = None
    if oidc is not None and oidc.sso:
        # Back here once logged in: a path on the gateway's origin, its prefix included.
        here = urlsplit(base).path + PATH + "?" + urlencode(wanted.parameters)
        sso_href = base + SSO_LOGIN_PATH + "?return_to=" + quote(here, safe="")
    return login_page.LoginForm(
        action=base + PATH,
        fields=wanted.parameters,
        client_id=wanted.client.name,
        scope=str(dict(wanted.parameters).get("scope", "")),
        sso_href=sso_href,
        username=username,
        message=message,
    )


def _refusal(wanted: AuthorizationRequest, refused: Refused) -> dict[str, str]:
    log.info("authorize: client %s refused: %s", wanted.client.name, refused.description)
    return {"error": refused.error, "error_description": refused.description}


def _scope(
    wanted: AuthorizationRequest, who: Identity, requested: frozenset[str]
) -> frozenset[str]:
    """The roles a code for ``who`` grants; :class:`Refused` when there are none."""
    if requested - implied(who.roles):
        raise Refused("invalid_scope", "the scope names roles you do not hold")
    scope = granted_roles(who.roles, wanted.client.roles, requested)
    if not scope:
        raise Refused("access_denied", f"you hold no role client {wanted.client.name} may use")
    return scope


def _login_roles(request: web.Request, who: Identity) -> frozenset[str]:
    """The roles a grant keeps of ``who``: for single sign-on those the provider claimed at
    the login (kept in the session), from which every refresh works the roles out again."""
    if who.kind != "oidc":
        return who.roles
    kept = caller_data(request).get("roles")
    return frozenset(r for r in kept if r in ROLES) if isinstance(kept, list) else frozenset()


async def _code_for(
    request: web.Request,
    wanted: AuthorizationRequest,
    who: Identity,
    scope: frozenset[str],
    challenge: str,
) -> dict[str, str]:
    """A code for the client, as the answer to send it."""
    grant = Grant(wanted.client.name, who.name, who.kind, _login_roles(request, who), scope)
    code = await request.app[OAUTH].codes.issue(grant, wanted.redirect_uri, challenge)
    log.info("authorize: client %s got a code for %s %r", wanted.client.name, who.kind, who.name)
    return {"code": code}


async def authorize(request: web.Request) -> web.Response:
    """``GET /auth/authorize``: a code for the client, or the login or consent page first."""
    wanted = client_and_redirect(request, request.query)
    try:
        requested, challenge = checked(wanted, request.query)
        who = _session_identity(request)
        if who is None:
            return login_page.login(public_base(request), _login_form(request, wanted))
        scope = _scope(wanted, who, requested)
    except Refused as refused:
        return _back(request, wanted, _refusal(wanted, refused))
    if not silent(wanted):
        return _consent_page(request, wanted, who, requested)
    return _back(request, wanted, await _code_for(request, wanted, who, scope, challenge))


def _consent_page(
    request: web.Request, wanted: AuthorizationRequest, who: Identity, requested: frozenset[str]
) -> web.Response:
    base = public_base(request)
    csrf = str(caller_data(request).get("csrf", ""))
    form = login_page.ConsentForm(
        action=base + CONSENT_PATH,
        fields=(*wanted.parameters, (CSRF_FIELD, csrf)),
        client_id=wanted.client.name,
        scope=" ".join(r for r in ROLES if r in requested),
        username=who.name,
    )
    return login_page.consent(base, form)


async def _posted(
    request: web.Request, what: str
) -> tuple[MultiDict[str], AuthorizationRequest, frozenset[str], str]:
    """The authorization request a page of the gateway posted back, checked again.

    A post from another site's page is refused (login CSRF), and so is a request the
    gateway's page did not make, without a redirect: no redirect answers a POST here.
    """
    if not same_site(request):
        raise Forbidden(f"{what} sent from another site's page is refused")
    posted = await read_form(request)
    form = MultiDict((k, v) for k, v in posted.items() if isinstance(v, str))
    wanted = client_and_redirect(request, form)
    try:
        requested, challenge = checked(wanted, form)
    except Refused as refused:
        raise BadRequest(refused.description) from None
    return form, wanted, requested, challenge


async def consent(request: web.Request) -> web.Response:
    """``POST /auth/authorize/consent``: the person's word on the consent page; a code for
    the client (or ``access_denied``), on a page that goes on to it."""
    form, wanted, requested, challenge = await _posted(request, "a consent")
    who = _session_identity(request)
    if who is None:  # the session ended meanwhile: log in again, for the same request
        return login_page.login(public_base(request), _login_form(request, wanted))
    if not csrf_field_matches(dict(form), caller_data(request)):
        raise Forbidden("the form was not made for this session: open the app's link again")
    try:
        if form.get("decision") != "allow":
            raise Refused("access_denied", f"the person did not let {wanted.client.name} in")
        answer = await _code_for(request, wanted, who, _scope(wanted, who, requested), challenge)
    except Refused as refused:
        answer = _refusal(wanted, refused)
    onward = location(request, wanted, answer)
    return login_page.onward(public_base(request), onward, wanted.client.name, "Continuing")


async def login(request: web.Request) -> web.Response:
    """``POST /auth/authorize``: the login form's answer; on to the client once it holds."""
    form, wanted, requested, challenge = await _posted(request, "a login")
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    base = public_base(request)
    if not username or not password:
        raise BadRequest("send username and password")
    authenticator = request.app[AUTH]
    who = await authenticator.check_secret("user", username, password, client_address(request))
    if who is None:
        detail = "the user name or the password is wrong"
        if not login_page.prefers_html(request):
            raise Unauthorized(detail, headers={"WWW-Authenticate": CHALLENGE})
        # Not the name: a password typed into the wrong field must not reach the log.
        log.info("authorize: a wrong password at the login for client %s", wanted.client.name)
        page = _login_form(request, wanted, username, "The user name or the password is wrong.")
        return login_page.login(base, page, 401, **{"WWW-Authenticate": CHALLENGE})
    await sessions.start(request, authenticator.store, who, authenticator.config.session_ttl_s)
    log.info("authorize: user %s logged in for client %s", who.name, wanted.client.name)
    # Logging in on this page for this client is the person's word: the code now.
    try:
        answer = await _code_for(request, wanted, who, _scope(wanted, who, requested), challenge)
    except Refused as refused:
        answer = _refusal(wanted, refused)
    return login_page.onward(base, location(request, wanted, answer), wanted.client.name)


_AUTHORIZE_QUERY: Final = (
    QueryParam("response_type", description="code", required=True),
    QueryParam("client_id", description="a configured client", required=True),
    QueryParam("redirect_uri", description="one registered for the client", required=True),
    QueryParam("code_challenge", description="PKCE: BASE64URL(SHA-256(code_verifier))"),
    QueryParam("code_challenge_method", description="S256", enum=("S256",)),
    QueryParam("scope", description="roles, space-separated: reader editor admin"),
    QueryParam("state", description="sent back with the code or the error"),
)


def setup(app: web.Application) -> None:
    """Add the authorization endpoint."""
    add_route(
        app,
        Route(
            "GET",
            PATH,
            login_page.pages(authorize),
            # A browser gets pages; other clients the problem document of what is wrong.
            produces=("text/html", problem.MEDIA_TYPE, "application/json"),
            access="public",
            query=_AUTHORIZE_QUERY,
            answers=(200, 307),
            errors=(400,),
        ),
    )
    add_route(
        app,
        Route(
            "POST",
            PATH,
            login_page.pages(login),
            produces=("text/html", problem.MEDIA_TYPE, "application/json"),
            consumes=(FORM,),
            access="public",
            answers=(200,),
            # Parameters of no authorization request; a wrong password; another site's page.
            errors=(400, 401, 403),
        ),
    )
    add_route(
        app,
        Route(
            "POST",
            CONSENT_PATH,
            login_page.pages(consent),
            produces=("text/html", problem.MEDIA_TYPE, "application/json"),
            consumes=(FORM,),
            access="public",
            answers=(200,),
            # Parameters of no authorization request; another site's page or another
            # session's form.
            errors=(400, 403),
        ),
    )
