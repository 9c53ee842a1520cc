"""The pages of ``/auth/authorize``: the login form, the consent form, the page that goes
on, and errors.

Each is one self-contained HTML document: no script at all, one small style sheet inline
(allowed by its hash in the page's policy), every value that came with the request
escaped. Their Content Security Policy loads nothing else, lets no page frame them
(clickjacking a login form), and lets the form post to the gateway alone. Their
``Referrer-Policy`` is ``same-origin`` (:data:`REFERRER_POLICY`).

After a form post (a right password, or the person's word on the consent form) the
answer is a page, not a redirect. A 307 would send the form (the password in it) on to
the client; and Chromium checks a policy's ``form-action`` against every redirect that
follows a form post, so any redirect chain ending at the client's redirect URI would need
every client's origin in it. The page goes on by itself (``<meta http-equiv="refresh">``,
which no policy blocks, and a link for a browser that does not follow it) to the client's
redirect URI with the code, a navigation of its own that no ``form-action`` governs. So
``form-action`` names the gateway alone.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from gateway.web import problem, statuses
from gateway.web.errors import GatewayError
from gateway.web.middlewares import request_id
from gateway.web.negotiation import choose
from gateway.web.routing import NO_STORE
from gateway.web.urls import public_base

log = logging.getLogger(__name__)

STYLE: Final = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}"
    "label,input,button{display:block;width:100%;box-sizing:border-box}"
    "input{margin:.25rem 0 1rem;padding:.5rem}button{padding:.6rem;margin-top:.5rem}"
    ".alert{color:#a40000;font-weight:bold}.other{margin-top:1.5rem}"
)
_STYLE_HASH: Final = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
_ESC: Final = html.escape  # quote=True: values are safe in text and in quoted attributes
_PAGE_TYPES: Final = (problem.MEDIA_TYPE, "text/html")
REFERRER_POLICY: Final = "same-origin"
"""Not the gateway's usual ``no-referrer``: under it a browser sends ``Origin: null`` with a
form post, and the login-CSRF guard could not tell the gateway's own form from a stranger's.
Other sites still get no ``Referer`` from these pages."""
PageHandler = Callable[[web.Request], Awaitable[web.Response]]


def policy(base: str) -> str:
    """The Content Security Policy of the pages, whose form posts to ``base``."""
    parts = urlsplit(base)
    return (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
        f"form-action 'self' {parts.scheme}://{parts.netloc}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def _page(
    base: str,
    title: str,
    body: str,
    status: int,
    headers: Mapping[str, str],
    head: str = "",
) -> web.Response:
    document = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}'
        f"<title>{_ESC(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return web.Response(
        status=status,
        text=document,
        content_type="text/html",
        headers={
            **NO_STORE,
            **headers,
            "Content-Security-Policy": policy(base),
            "Referrer-Policy": REFERRER_POLICY,
        },
    )


@dataclass(frozen=True, slots=True)
class LoginForm:
    """What the login form shows and sends back."""

    action: str
    """Where the form posts: the authorization endpoint."""
    fields: Iterable[tuple[str, str]]
    """The authorization request's parameters, sent back as hidden fields."""
    client_id: str
    scope: str
    """The roles the client asks for, or empty for all it may have."""
    sso_href: str | None = None
    """The single sign-on login that comes back here, when it is configured."""
    username: str = ""
    message: str = ""


def login(base: str, form: LoginForm, status: int = 200, **headers: str) -> web.Response:
    """The login form; with ``message`` (a wrong password) above it."""
    hidden = "".join(
        f'<input type="hidden" name="{_ESC(name)}" value="{_ESC(value)}">'
        for name, value in form.fields
    )
    asks = f"as {_ESC(form.scope)}" if form.scope else "with your roles"
    alert = f'<p class="alert" role="alert">{_ESC(form.message)}</p>' if form.message else ""
    other = (
        f'<p class="other"><a href="{_ESC(form.sso_href)}">'
        "Log in with your organisation&#x27;s single sign-on instead</a></p>"
        if form.sso_href
        else ""
    )
    body = (
        "<h1>Log in to the HAL media gateway</h1>"
        f"<p><strong>{_ESC(form.client_id)}</strong> asks to act for you {asks}.</p>"
        f'{alert}<form method="post" action="{_ESC(form.action)}">{hidden}'
        '<label for="username">User name</label>'
        '<input id="username" name="username" autocomplete="username" required autofocus '
        f'value="{_ESC(form.username)}">'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        f"<button type=submit>Log in</button></form>{other}"
    )
    return _page(base, "Log in", body, status, headers)


@dataclass(frozen=True, slots=True)
class ConsentForm:
    """What the consent form shows and sends back."""

    action: str
    """Where the form posts: the consent endpoint."""
    fields: Iterable[tuple[str, str]]
    """The authorization request's parameters and the session's CSRF token, as hidden fields."""
    client_id: str
    scope: str
    """The roles the client asks for, or empty for all it may have."""
    username: str
    """Who is logged in: the person the client would act for."""


def consent(base: str, form: ConsentForm) -> web.Response:
    """The page that asks a logged-in person whether the client may act for them."""
    hidden = "".join(
        f'<input type="hidden" name="{_ESC(name)}" value="{_ESC(value)}">'
        for name, value in form.fields
    )
    asks = f"as {_ESC(form.scope)}" if form.scope else "with your roles"
    client = _ESC(form.client_id)
    body = (
        f"<h1>Continue to {client}?</h1>"
        f"<p>You are logged in as <strong>{_ESC(form.username)}</strong>. "
        f"<strong>{client}</strong> asks to act for you {asks}.</p>"
        f'<form method="post" action="{_ESC(form.action)}">{hidden}'
        f"<button type=submit name=decision value=allow autofocus>Continue to {client}</button>"
        "<button type=submit name=decision value=deny>Cancel</button></form>"
    )
    return _page(base, f"Continue to {form.client_id}?", body, 200, {})


def onward(base: str, href: str, client_id: str, heading: str = "Logged in") -> web.Response:
    """The page after a form post: on to ``href`` at once, or by its link."""
    refresh = f'<meta http-equiv="refresh" content="0;url={_ESC(href)}">'
    body = (
        f'<h1>{_ESC(heading)}</h1><p><a href="{_ESC(href)}">Continue to {_ESC(client_id)}</a></p>'
    )
    return _page(base, heading, body, 200, {}, head=refresh)


def error(
    base: str, status: int, detail: str, incident: str, headers: Mapping[str, str]
) -> web.Response:
    """A problem as a page, for a browser: the status table's title, what was wrong, the
    incident to quote."""
    title = statuses.row(status).condition
    body = (
        f"<h1>{_ESC(title)}</h1><p>{_ESC(detail)}</p><p>Incident <code>{_ESC(incident)}</code>.</p>"
    )
    return _page(base, title, body, status, headers)


def prefers_html(request: web.Request) -> bool:
    """Whether a browser navigates here (it shows what comes back: a page, a redirect),
    rather than a script fetching (it reads a problem document, a ``Link``).

    ``Sec-Fetch-Mode`` says so where the browser sends it; a browser too old for it asks
    for ``text/html`` first when it navigates, a script's fetch does not.
    """
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode == "navigate"
    return choose(request.headers.get("Accept"), _PAGE_TYPES) == "text/html"


def pages(handler: PageHandler) -> PageHandler:
    """``handler`` whose errors a browser gets as pages, with their status; other clients
    get the problem document as from any route."""

    async def paged(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except GatewayError as exc:
            if not prefers_html(request):
                raise
            status, incident = exc.http_status, request_id(request)
            # The one line the problems middleware would have logged.
            log.info(
                "incident %s: %s %s -> %s %s: %s",
                incident,
                request.method,
                request.path,
                status,
                exc.problem_code,
                exc.detail,
                extra={"status": status},
            )
            return error(public_base(request), status, exc.detail, incident, exc.headers)

    paged.__doc__ = handler.__doc__
    return paged
