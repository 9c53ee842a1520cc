"""Redirect URIs of ``[[auth.clients]]``: which may be registered, and which a request matches.

The authorization endpoint sends codes only to a URI registered for the client, compared
as a string (RFC 6749 section 3.1.2, OAuth 2.0 Security BCP: no patterns, no prefixes).
A registered URI is one of three kinds (RFC 8252 for native apps):

- ``https://host/path``: a web app;
- ``http://127.0.0.1/path``, ``http://[::1]/path`` or ``http://localhost/path``: an app
  on the user's own machine, whose listener nobody on the network can stand in for. On an
  IP literal registered without a port, any port matches (RFC 8252 section 7.3: a native
  app listens on whatever port its system gives it);
- ``com.example.app:/path``: a private-use scheme of a native app, named after a domain
  its maker holds, reversed (RFC 8252 section 7.1), so it has a dot.

None may carry a fragment (RFC 6749 section 3.1.2) or user information. ``javascript:``,
``data:``, ``file:`` and other schemes without a dot are refused.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

LOOPBACK_NAMES: Final = frozenset({"localhost"})
_PRIVATE_SCHEME: Final = re.compile(r"[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+")
_CONTROL: Final = re.compile(r"[\x00-\x20\x7f\\]")


def _loopback_literal(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(uri: str) -> SplitResult | None:
    """The parts of ``uri``; None when it does not parse or its port is no port."""
    try:
        parts = urlsplit(uri)
        if parts.port is None or parts.port > 0:  # reading the port checks it
            return parts
    except ValueError:
        pass
    return None


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` may not be registered as a redirect URI; None when it may."""
    if _CONTROL.search(uri):
        return f"{uri!r} holds spaces, control characters or backslashes"
    if "#" in uri:
        return f"{uri!r} has a fragment; redirect URIs may not (RFC 6749 3.1.2)"
    parts = _split(uri)
    if parts is None:
        return f"{uri!r} is not a URI"
    scheme, host = parts.scheme, parts.hostname or ""
    if parts.username is not None or parts.password is not None:
        return f"{uri!r} holds user information"
    if scheme == "https":
        return None if host else f"{uri!r} names no host"
    if scheme == "http":
        if _loopback_literal(host) or host in LOOPBACK_NAMES:
            return None
        return f"{uri!r}: plain http only to a loopback address (127.0.0.1, [::1], localhost)"
    if _PRIVATE_SCHEME.fullmatch(scheme) and not parts.netloc:
        return None
    return (
        f"{uri!r}: use https, http on loopback, or an app's private-use scheme named after "
        "a domain, reversed (com.example.app:/callback)"
    )


def check_redirect_uris(value: Any) -> str | None:
    """Config check of ``redirect_uris``: every entry may be registered, none twice."""
    for uri in value:
        problem = redirect_uri_problem(uri)
        if problem is not None:
            return problem
    if len(set(value)) != len(value):
        return "lists a URI twice"
    return None


def registered(uri: str, uris: tuple[str, ...]) -> bool:
    """Whether a request's ``redirect_uri`` is one of the registered ``uris``.

    Exactly equal; or, for a registered ``http`` URI on a loopback IP literal without a
    port, equal but for the port (RFC 8252 section 7.3).
    """
    if uri in uris:
        return True
    given = _split(uri)
    if given is None or given.scheme != "http" or given.port is None:
        return False
    if not _loopback_literal(given.hostname or ""):
        return False
    portless = given._replace(netloc=given.netloc.rsplit(":", 1)[0]).geturl()
    return portless in uris
