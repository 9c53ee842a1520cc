"""The public base URL of the gateway, as clients see it.

Taken from ``server.public_url`` when set; else, when ``server.trust_forwarded`` is
on, from ``X-Forwarded-Proto``, ``X-Forwarded-Host`` and ``X-Forwarded-Prefix``; else
from the request itself. Every href the gateway emits is absolute and built here,
so links stay right behind a proxy that mounts the gateway under a prefix.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Final
from urllib.parse import quote, unquote

from aiohttp import web

from gateway.web.errors import NotFound
from gateway.web.hosts import HOST, first_value, host_allowed
from gateway.web.settings import HTTP, HttpSettings

_PREFIX: Final = re.compile(r"(/[A-Za-z0-9._~!$&'()*+,;=:@%\-]+)*/?")
_DOTS: Final = frozenset({".", ".."})
_UNESCAPES: Final = 4
"""How often a segment is unescaped looking for a dot segment (%252e is %2e is ".")."""
_REMEMBERED_SEGMENTS: Final = 4096
_REMEMBERED_LENGTH: Final = 256
"""Escaped segments up to this length are remembered: ids recur, one answer holds many."""
_PUBLIC_BASE: Final = web.RequestKey("public_base", str)


def base_url(request: web.BaseRequest, server: HttpSettings) -> str:
    """The base URL (scheme, host, prefix; no trailing slash) for links in a response."""
    if server.public_url:
        return server.public_url.rstrip("/")
    scheme, host, prefix = request.scheme, request.host, ""
    if server.trust_forwarded:
        # Malformed forwarded values are ignored rather than copied into links.
        proto = first_value(request.headers.get("X-Forwarded-Proto"))
        if proto in ("http", "https"):
            scheme = proto
        fwd_host = first_value(request.headers.get("X-Forwarded-Host"))
        if fwd_host and host_allowed(fwd_host, server):
            host = fwd_host
        fwd_prefix = first_value(request.headers.get("X-Forwarded-Prefix"))
        if fwd_prefix and _PREFIX.fullmatch(fwd_prefix):
            prefix = fwd_prefix.rstrip("/")
    if not HOST.fullmatch(host) or not host_allowed(host, server):
        # The hosts middleware refuses such a request; its problem still links nowhere else.
        host = "localhost"
    return f"{scheme}://{host}{prefix}"


def public_base(request: web.Request) -> str:
    """The base URL for links in the answer to ``request``, per the app's config."""
    try:
        return request[_PUBLIC_BASE]
    except KeyError:  # made once per request: every link of an answer starts with it
        base = request[_PUBLIC_BASE] = base_url(request, request.app[HTTP])
        return base


def is_dot_segment(segment: str) -> bool:
    """Whether ``segment`` is ``.`` or ``..``, as it stands or once unescaped (again)."""
    for _ in range(_UNESCAPES):
        if segment in _DOTS:
            return True
        decoded = unquote(segment)
        if decoded == segment:
            return False
        segment = decoded
    return segment in _DOTS


def path_segment(value: object) -> str:
    """``value`` as one escaped path segment (``/`` and ``;`` included).

    ``.`` and ``..`` are refused (404): escaping leaves dots as they are, and any URL
    resolver on the way would read them as "this" and "the parent" resource.
    """
    text = str(value)
    return _remembered_segment(text) if len(text) <= _REMEMBERED_LENGTH else _segment(text)


def _segment(text: str) -> str:
    if is_dot_segment(text):
        raise NotFound("'.' and '..' are not ids of anything")
    return quote(text, safe="")


_remembered_segment = functools.lru_cache(maxsize=_REMEMBERED_SEGMENTS)(_segment)


def refuse_dot_segments(request: web.Request) -> None:
    """404 when a value the route matched holds a ``.`` or ``..`` segment in any spelling.

    ``%2e%2e`` in the request arrives in ``match_info`` as ``..``; an adapter building an
    upstream path from it would name another resource. Checked for every route before
    its handler runs (by :mod:`gateway.auth.access`, after the caller is known, so that
    anonymous callers learn no more of the routes than a 401).
    """
    for value in request.match_info.values():
        if any(is_dot_segment(part) for part in value.split("/")):
            raise NotFound("'.' and '..' are not ids of anything")


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
