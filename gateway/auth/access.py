"""The auth middleware and the rules of who may do what.

Every route says who may call it (:class:`~gateway.web.routing.Route` ``access``):
``public`` routes (the root, relation and problem pages, login, token, health) take
anybody; every other route needs an identity, else 401 with ``WWW-Authenticate:
Bearer``; ``admin`` routes need the admin role. A route under ``/backends/<name>``
also obeys that backend's rules (:func:`check_backend`): its role restriction and its
per-user credentials decide whether the caller may use the backend at all, and a
backend the caller may not use answers 404 exactly as a backend that does not exist
(the root and the lists do not show it either, so names cannot be enumerated); on a
backend the caller may use, a method their roles do not allow (readers read) is 403,
as are admin routes for others. Unsafe requests that authenticate with the session
cookie must carry the session's CSRF token in ``X-CSRF-Token``, or a small form body in its
``csrf_token`` field (a browser's form post cannot set headers), 403 otherwise; bearer
requests need none, as no browser sends a bearer token by itself. A route may take a
credential of its own (``Route.credential``: the scrape token of ``/metrics``), checked
before any login; a request it admits is served as nobody's.

Path values ``.`` and ``..`` in any spelling are 404 for every route
(:func:`gateway.web.urls.refuse_dot_segments`), checked here once the caller is known.

The identity is bound (:func:`gateway.auth.identity.acting_as`) while the handler runs,
for the upstream credentials to follow it.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from gateway.auth import sessions
from gateway.auth.authenticator import AUTH, login_required
from gateway.auth.identity import SAFE_METHODS, Identity, acting_as, implied
from gateway.backends.runtime import BACKENDS, Backend
from gateway.config.roles import ADMIN
from gateway.web.errors import Forbidden, NotFound, ServiceUnavailable, Unauthorized
from gateway.web.routing import Handler, route_meta
from gateway.web.urls import refuse_dot_segments

_IDENTITY: Final = web.RequestKey("identity", Identity)
_DATA: Final = web.RequestKey("identity_data", dict[str, Any])


def caller(request: web.Request) -> Identity | None:
    """The identity the request was authenticated as, if any."""
    return request.get(_IDENTITY)


def caller_name(request: web.Request) -> str | None:
    """The name of the caller, for log lines (names are not secrets); None for nobody."""
    who = request.get(_IDENTITY)
    return who.name if who is not None else None


def caller_data(request: web.Request) -> dict[str, Any]:
    """The session's data or the token's claims the caller came with."""
    return request.get(_DATA) or {}


def require_caller(request: web.Request) -> Identity:
    """The identity of a request on a protected route (always set there)."""
    who = caller(request)
    if who is None:
        raise login_required()
    return who


def may_use(request: web.Request, who: Identity, backend: Backend) -> bool:
    """Whether ``who`` may use ``backend`` at all: they hold a role that opens the
    backends, one the backend is open to (admins pass every such limit), and
    credentials for it (a per-user backend's)."""
    roles = backend.adapter.backend.roles
    return (
        who.may("GET")
        and (not roles or ADMIN in who.roles or bool(implied(who.roles) & set(roles)))
        and request.app[BACKENDS].auth(backend).allows(who)
    )


def visible(request: web.Request, who: Identity | None, backend: Backend) -> bool:
    """Whether ``backend`` is shown to ``who`` (root, registry, lists)."""
    return who is not None and may_use(request, who, backend)


def _not_served(request: web.Request) -> NotFound:
    # Word for word the router's 404 (gateway.web.middlewares): nothing tells them apart.
    return NotFound(f"nothing is served at {request.path}")


def _backend_of_path(request: web.Request) -> str | None:
    """The backend a path under ``/backends/<name>`` names, when no route matched it."""
    parts = request.path.split("/", 3)
    return parts[2] if len(parts) > 2 and parts[1] == "backends" else None


def check_backend(request: web.Request, who: Identity, name: str) -> None:
    """404 unless ``who`` may use backend ``name``; 403 for a method their roles refuse."""
    backend = request.app[BACKENDS].get(name)
    if backend is None:
        return
    if not may_use(request, who, backend):
        raise _not_served(request)
    if not who.may(request.method):
        # Whoever may use a backend holds a role: reader, when they may only read.
        raise Forbidden(
            f"your roles ({', '.join(sorted(who.roles))}) allow reading only; "
            f"{request.method} needs the editor role"
        )


async def admit(request: web.Request) -> tuple[Identity | None, dict[str, Any]]:
    """Who ``request`` is served as, and the session's data or token's claims they came
    with: authenticated, authorized and CSRF-checked (401, 403 or 404 otherwise). Nobody
    on public routes without a login, and on a route whose own credential admits it."""
    meta = route_meta(request)
    if meta is not None and meta.credential is not None and meta.credential(request):
        return None, {}  # the route's own credential (a scrape token): nobody's
    policy = meta.access if meta is not None else "user"
    try:
        who, data = await request.app[AUTH].identify(request)
    except (Unauthorized, Forbidden, ServiceUnavailable):
        if policy != "public":
            raise
        # A stale token, one naming nobody the gateway accepts (an unverified e-mail
        # address), or an issuer whose keys cannot be fetched: a public page is served
        # as to anybody.
        who, data = None, {}
    if policy != "public":
        if who is None:
            raise login_required()
        if policy == "admin" and ADMIN not in who.roles:
            raise Forbidden("this view is for admins")
        unsafe = request.method not in SAFE_METHODS
        # The token may be read from a form body here, before the limits middleware has
        # looked at it: that is bounded, as only a declared Content-Length of at most
        # CSRF_FORM_BYTES is read, never a chunked or encoded body, nor a body a
        # streaming route passes on unread. Only the gateway's own routes take it there
        # (logout, consent): a backend route's form goes upstream, the token with it.
        form = meta is not None and not meta.stream and meta.backend is None
        if (
            who.via == "session"
            and unsafe
            and not await sessions.csrf_sent(request, dict(data), form=form)
        ):
            raise Forbidden(
                f"send the session's CSRF token in {sessions.CSRF_HEADER} "
                "(it is in the login answer and in /auth/me)"
            )
        if meta is not None and meta.backend is not None:
            check_backend(request, who, meta.backend)
        elif meta is None and (name := _backend_of_path(request)) is not None:
            # No route, or not this method (405 with Allow): as silent as an unknown name.
            backend = request.app[BACKENDS].get(name)
            if backend is not None and not may_use(request, who, backend):
                raise _not_served(request)
    refuse_dot_segments(request)
    return who, dict(data)


@web.middleware
async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate, authorize, check CSRF (:func:`admit`); run the handler as the caller."""
    who, data = await admit(request)
    if who is not None:
        request[_IDENTITY] = who
        request[_DATA] = data
    with acting_as(who):
        return await handler(request)
