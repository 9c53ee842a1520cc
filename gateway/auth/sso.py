"""Single sign-on: a browser logs in through the ``[auth.oidc]`` issuer.

On when ``auth.oidc.client_id`` is set. The protocol is :mod:`gateway.auth.oidc_client`;
here are the routes and what binds a login to the browser that began it:

- ``GET /auth/login/oidc[?return_to=/path]`` sends the browser (307) to the issuer's
  authorization endpoint. The login's ``state``, ``nonce``, PKCE verifier, redirect URI
  and ``return_to`` go into a cookie of its own (:mod:`gateway.auth.pending_logins`).
- ``GET /auth/login/oidc/callback`` takes the issuer's answer: its ``state`` must be
  one of this browser's pending logins (400 otherwise), which it consumes; an ``iss``
  naming another issuer is a 400 too (RFC 9207: a mix-up), as is an answer without
  ``iss`` from an issuer whose discovery document promises it
  (``authorization_response_iss_parameter_supported``); ``error=``
  is a 401 (503 when the issuer is unavailable); the code is redeemed and the ID token
  checked (401 when either fails); the claims name the user and roles as for the
  issuer's bearer tokens (``username_claim``, ``roles_claim``, ``user_roles``): 403
  when no gateway role is left, or when the user is named by an email address the
  issuer has not verified. The state is then marked used in the state store
  (atomically: a second completion of one login is a 400, even with a fresh code), a
  new gateway session starts (kind ``oidc``, the claim's roles kept in it), and the
  browser goes (307) to ``return_to`` on the gateway's own origin, or the root.
- ``return_to`` must be a path on the gateway's origin: one ``/`` then anything but
  ``/`` or ``\\``, visible ASCII only, at most :data:`RETURN_TO_CHARS` characters;
  anything else is refused (400) when the login begins, so there is no open redirect.
- A browser that navigates gets the routes' errors as pages
  (:func:`gateway.auth.login_page.pages`); other clients get problem documents.
- Expiries (the begun logins', the ID token's) are timed by the state store's clock.
- On logout (:func:`end_session_url`) the browser is sent to the issuer's
  ``end_session_endpoint``, with the ID token kept for it server-side (state store).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp import web

from gateway.auth import login_page, sessions
from gateway.auth.authenticator import AUTH, CHALLENGE, Authenticator
from gateway.auth.identity import Identity
from gateway.auth.oidc_client import RelyingParty, provider_text
from gateway.auth.pending_logins import PENDING_TTL_S, PendingLogins
from gateway.config.loading import CONFIG, GatewayConfig
from gateway.config.roles import ROLES
from gateway.web import hal
from gateway.web.errors import BadRequest, Forbidden, GatewayError, ServiceUnavailable, Unauthorized
from gateway.web.routing import NO_STORE, QueryParam, Route, add_route
from gateway.web.urls import public_base

log = logging.getLogger(__name__)

START_PATH: Final = "/auth/login/oidc"
CALLBACK_PATH: Final = START_PATH + "/callback"
LOGOUT_REL: Final = "gw:sso-logout"
"""The relation of the ``Link`` a logout answers a script with: the provider's logout."""
RETURN_TO_CHARS: Final = 2048
"""The longest ``return_to``: it travels in the begun login's cookie, which must stay
within :data:`~gateway.auth.pending_logins.COOKIE_BYTES` however long the rest of the
login is. The ``/auth/authorize`` page's link comes back with the client's whole
authorization request: a few hundred characters, and a ``state`` of some 1500 more."""
_RETURN_TO: Final = re.compile(r"/(?![/\\])[\x21-\x5b\x5d-\x7e]*")
_UNAVAILABLE: Final = frozenset({"temporarily_unavailable", "server_error"})


def safe_return_to(value: str) -> bool:
    """Whether ``value`` is a path on the gateway's own origin (see the module's doc)."""
    return len(value) <= RETURN_TO_CHARS and _RETURN_TO.fullmatch(value) is not None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:40]


class SingleSignOn:
    """The relying party, the browsers' begun logins and the sessions it opens."""

    def __init__(self, config: GatewayConfig, authenticator: Authenticator) -> None:
        jwks = authenticator.tokens.oidc
        if config.auth.oidc is None or not config.auth.oidc.sso or jwks is None:
            raise ValueError("single sign-on needs [auth.oidc] with a client_id")
        self.oidc = config.auth.oidc
        store = authenticator.store

        def clock() -> float:
            # The store's clock as it is when asked, should it be replaced later.
            return store.clock()

        self.party = RelyingParty(jwks, clock)
        self.pending = PendingLogins(config, START_PATH, clock)
        self.authenticator = authenticator
        self.session_ttl_s = config.auth.session_ttl_s

    def __repr__(self) -> str:
        return f"SingleSignOn(issuer={self.oidc.issuer!r})"


SSO: Final = web.AppKey("sso", SingleSignOn)


def enabled(app: web.Application) -> bool:
    """Whether single sign-on is configured."""
    return SSO in app


def login_link(doc: hal.Resource, request: web.Request) -> None:
    """Link the single sign-on login (``gw:login-sso``) when it is configured."""
    if enabled(request.app):
        doc.link(
            "gw:login-sso",
            public_base(request) + START_PATH + "{?return_to}",
            templated=True,
            title="Log in through your organisation's identity provider",
        )


async def start(request: web.Request) -> web.Response:
    """``GET /auth/login/oidc``: to the identity provider's login, then back."""
    sso = request.app[SSO]
    wanted = request.query.getall("return_to", [])
    if len(wanted) > 1:
        raise BadRequest("send return_to once")
    return_to = wanted[0] if wanted else ""
    if return_to and not safe_return_to(return_to):
        raise BadRequest(
            "return_to must be a path on this gateway's origin: one '/' first, no scheme, "
            f"host, backslash, space or control character, at most {RETURN_TO_CHARS} characters"
        )
    entry = sso.pending.new(public_base(request) + CALLBACK_PATH, return_to)
    location = await sso.party.authorization_url(entry["u"], entry["s"], entry["n"], entry["v"])
    cookie = sso.pending.cookie(request, [entry, *sso.pending.read(request)])
    log.info("sso: a login through the identity provider began")
    headers = {**NO_STORE, "Location": location, "Set-Cookie": cookie}
    return web.Response(status=307, headers=headers)


async def callback(request: web.Request) -> web.Response:
    """``GET /auth/login/oidc/callback``: the identity provider's answer; a session."""
    sso = request.app[SSO]
    query = request.query
    pending = sso.pending.read(request)
    state = query.get("state", "")
    # As bytes: compare_digest refuses str beyond ASCII, which a forged state may be.
    sent = state.encode()
    entry = next(
        (p for p in pending if state and hmac.compare_digest(str(p["s"]).encode(), sent)), None
    )
    if entry is None:
        raise BadRequest(
            "no login through the identity provider is pending in this browser for this "
            "state: it began in another browser, more than "
            f"{PENDING_TTL_S // 60} minutes ago, or was finished already; log in again"
        )
    cleared = {"Set-Cookie": sso.pending.cookie(request, [p for p in pending if p is not entry])}
    try:
        who, claimed, id_token = await _complete(request, sso, entry)
    except GatewayError as exc:
        exc.headers.update(cleared)
        raise
    authenticator = request.app[AUTH]
    data = await sessions.start(
        request,
        authenticator.store,
        who,
        sso.session_ttl_s,
        {"roles": [r for r in ROLES if r in claimed]},
    )
    # The ID token stays server-side, for the logout's id_token_hint alone.
    await authenticator.store.put(_id_token_key(data["sid"]), {"t": id_token}, sso.session_ttl_s)
    log.info("sso: %r logged in through the identity provider", who.name)
    origin = urlsplit(public_base(request))
    target = f"{origin.scheme}://{origin.netloc}{entry['r']}" if entry["r"] else ""
    headers = {**NO_STORE, **cleared, "Location": target or public_base(request) + "/"}
    return web.Response(status=307, headers=headers)


async def _complete(
    request: web.Request, sso: SingleSignOn, entry: Mapping[str, Any]
) -> tuple[Identity, frozenset[str], str]:
    """The identity, its claimed roles and the ID token the issuer's answer gives."""
    query = request.query
    if "iss" in query and query["iss"] != sso.oidc.issuer:
        # RFC 9207: an answer another issuer gave (a mix-up) is not this login's.
        raise BadRequest("the answer names another issuer than the gateway's identity provider")
    if "iss" not in query and await sso.party.promises_iss():
        # RFC 9207 section 2.4: an issuer that promises iss always sends it; an answer
        # without it may come from another one.
        raise BadRequest(
            "the answer does not name its issuer (iss), which the gateway's identity "
            "provider always does; log in again"
        )
    if "error" in query:
        error = provider_text(query["error"], 64)
        described = provider_text(query.get("error_description", ""))
        detail = f"the identity provider did not log you in: {error}" + (
            f" ({described})" if described else ""
        )
        if error in _UNAVAILABLE:
            raise ServiceUnavailable(detail)
        raise Unauthorized(detail, headers={"WWW-Authenticate": CHALLENGE})
    code = query.get("code", "")
    if not code:
        raise BadRequest("the identity provider's answer holds no code")
    id_token = await sso.party.redeem(code, entry["u"], entry["v"])
    claims = await sso.party.id_token_claims(id_token, entry["n"])
    claimed = sso.authenticator.from_claims(claims)
    who = sso.authenticator.issuer_identity(claims)
    if not who.roles:
        raise Forbidden(
            f"unknown user mapping: the identity provider's user {who.name} holds no gateway "
            f"role (reader, editor, admin) in its {sso.oidc.roles_claim} claim, nor in "
            "auth.oidc.user_roles"
        )
    # One session per login: marked only now, so that nobody's requests fill the store.
    if not await sso.authenticator.store.put_new(
        "sso:used:" + _digest(entry["s"]), {"at": sso.pending.clock()}, PENDING_TTL_S
    ):
        raise BadRequest("this login through the identity provider was finished already")
    return who, claimed.roles, id_token


def _id_token_key(sid: str) -> str:
    return "sso:id_token:" + sid


async def end_session_url(request: web.Request, data: Mapping[str, Any]) -> str | None:
    """Where a browser ends its single sign-on session at the issuer, if it offers that.

    Called at logout, after which the ID token kept for it is forgotten.
    """
    sso = request.app.get(SSO)
    if sso is None:
        return None
    store = sso.authenticator.store
    key = _id_token_key(str(data.get("sid", "")))
    kept = await store.get(key)
    await store.delete(key)
    token = kept.get("t") if kept else None
    after = sso.oidc.post_logout_redirect_url or public_base(request) + "/"
    return await sso.party.end_session_url(token if isinstance(token, str) else None, after)


def setup(app: web.Application) -> None:
    """Add the single sign-on routes when ``auth.oidc.client_id`` is set."""
    config = app[CONFIG]
    if config.auth.oidc is None or not config.auth.oidc.sso:
        return
    app[SSO] = SingleSignOn(config, app[AUTH])
    add_route(
        app,
        Route(
            "GET",
            START_PATH,
            login_page.pages(start),
            produces=(),
            access="public",
            query=(
                QueryParam(
                    "return_to",
                    description="a path on the gateway's origin to go to once logged in",
                ),
            ),
            answers=(307,),
            errors=(400, 503),
        ),
    )
    add_route(
        app,
        Route(
            "GET",
            CALLBACK_PATH,
            login_page.pages(callback),
            produces=(),
            access="public",
            query=(
                QueryParam("state", description="the login's state, as the provider sends it"),
                QueryParam("code", description="the provider's authorization code"),
                QueryParam("error", description="the provider's error, instead of a code"),
            ),
            answers=(307,),
            errors=(400, 401, 403, 503),
        ),
    )
