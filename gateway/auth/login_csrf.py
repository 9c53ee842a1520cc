"""The login-CSRF guard of every form that takes a password.

A form on another site could log a visitor in as the other site's user (login CSRF):
the victim then works, unknowingly, in the attacker's account. SameSite does not stop a
cookie being set by a cross-site POST, so the logins (``POST /auth/login``, the login form
of ``/auth/authorize``) look at what the browser says of where the request comes from.
The consent form of ``/auth/authorize``, which gives a client a code for the session's
person, carries the session's CSRF token too (:func:`csrf_field_matches`): a page of
another site cannot read it.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from gateway.auth.sessions import CSRF_FIELD
from gateway.config.loading import CONFIG
from gateway.web.urls import public_base


def same_site(request: web.Request) -> bool:
    """Whether a browser says the login comes from the gateway's own pages or from a page
    of an origin in ``server.cors_origins`` (or from no browser)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin in request.app[CONFIG].server.cors_origins:
        return True  # a page the gateway trusts with its login, as its CORS answers say
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    if origin is None:
        return True  # not a browser's cross-origin request
    base = urlsplit(public_base(request))
    return origin == f"{base.scheme}://{base.netloc}"


def csrf_field_matches(form: Mapping[str, str], session: Mapping[str, Any]) -> bool:
    """Whether ``form`` carries ``session``'s CSRF token in its ``csrf_token`` field."""
    sent, expected = form.get(CSRF_FIELD, ""), str(session.get("csrf", ""))
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), expected.encode())
