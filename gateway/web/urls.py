"""The public base URL of the gateway, as clients see it.

Taken from ``server.public_url`` when set; else, when ``server.trust_forwarded`` is
on, from ``X-Forwarded-Proto``, ``X-Forwarded-Host`` and ``X-Forwarded-Prefix``; else
from the request itself. Every href the gateway emits is absolute and built here,
so links stay right behind a proxy that mounts the gateway under a prefix.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import quote

from aiohttp import web

from gateway.web.settings import HTTP, HttpSettings

_HOST: Final = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_PREFIX: Final = re.compile(r"(/[A-Za-z0-9._~!$&'()*+,;=:@%\-]+)*/?")


def _first(value: str | None) -> str | None:
    """The first (client-most) value of a comma-separated forwarded header."""
    if not value:
        return None
    first = value.split(",", 1)[0].strip()
    return first or None


def base_url(request: web.BaseRequest, server: HttpSettings) -> str:
    """The base URL (scheme, host, prefix; no trailing slash) for links in a response."""
    if server.public_url:
        return server.public_url.rstrip("/")
    scheme, host, prefix = request.scheme, request.host, ""
    if server.trust_forwarded:
        # Malformed forwarded values are ignored rather than copied into links.
        proto = _first(request.headers.get("X-Forwarded-Proto"))
        if proto in ("http", "https"):
            scheme = proto
        fwd_host = _first(request.headers.get("X-Forwarded-Host"))
        if fwd_host and _HOST.fullmatch(fwd_host):
            host = fwd_host
        fwd_prefix = _first(request.headers.get("X-Forwarded-Prefix"))
        if fwd_prefix and _PREFIX.fullmatch(fwd_prefix):
            prefix = fwd_prefix.rstrip("/")
    if not _HOST.fullmatch(host):
        host = "localhost"
    return f"{scheme}://{host}{prefix}"


def public_base(request: web.Request) -> str:
    """The base URL for links in the answer to ``request``, per the app's config."""
    return base_url(request, request.app[HTTP])


def path_segment(value: object) -> str:
    """``value`` as one escaped path segment (``/`` and ``;`` included)."""
    return quote(str(value), safe="")


def client_address(request: web.Request) -> str:
    """The caller's address; behind a trusted proxy, the hop that proxy saw.

    That is the last ``X-Forwarded-For`` value (the proxy appends it); values before it
    are whatever the client wrote. Anything but an IP address is ignored.
    """
    if request.app[HTTP].trust_forwarded:
        values = request.headers.get("X-Forwarded-For", "").split(",")
        try:
            return str(ipaddress.ip_address(values[-1].strip()))
        except ValueError:
            pass
    return request.remote or "unknown"
