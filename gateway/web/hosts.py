"""Which hosts the gateway answers for, and the name it gives itself on the wire.

Without ``server.public_url`` every link is built from the request's ``Host`` (or, behind
a trusted proxy, ``X-Forwarded-Host``), so a made-up host would write every ``self``,
``Location`` and problem ``type`` of the answer. :func:`hosts` refuses, with a 400
problem, a request whose ``Host``, or ``X-Forwarded-Host`` when ``server.trust_forwarded``
is on, names a host outside ``server.allowed_hosts`` (by default the loopback names;
``public_url``'s host is always allowed). Entries are host names or addresses without a
port (any port passes), ``*.example.org`` for every name below ``example.org``, or ``*``
for any host at all. :func:`gateway.web.urls.base_url` applies the same rule, so even an
answer to a refused request links only to an allowed host.

:func:`server_header` replaces aiohttp's ``Server`` header, which names the library and
its version, with the gateway's own name.
"""

from __future__ import annotations

import functools
import re
from typing import Final
from urllib.parse import urlsplit

from aiohttp import hdrs, web

from gateway.web.errors import BadRequest
from gateway.web.routing import Handler
from gateway.web.settings import HTTP, HttpSettings

LOOPBACK: Final = ("localhost", "127.0.0.1", "[::1]")
"""The default ``server.allowed_hosts``."""
SERVER_NAME: Final = "hal-media-gateway"
"""The ``Server`` header of every answer."""

HOST: Final = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
"""A well-formed ``Host`` value: a name or address, then maybe a port."""
_NAME: Final = re.compile(
    r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*"
)


def first_value(value: str | None) -> str | None:
    """The first (client-most) value of a comma-separated forwarded header."""
    if not value:
        return None
    first = value.split(",", 1)[0].strip()
    return first or None


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be an ``allowed_hosts`` entry, or None when it can."""
    if pattern == "*":
        return None
    name = pattern[2:] if pattern.startswith("*.") else pattern
    if name.startswith("[") and name.endswith("]") and HOST.fullmatch(name):
        return None
    if _NAME.fullmatch(name.lower()):
        return None
    return f"{pattern!r} is not a host name, an address or *.<domain> (no scheme, no port)"


def _name(host: str) -> str | None:
    """The host name of a ``Host`` value, lower case, its port dropped; None if malformed."""
    host = host.strip()
    if not HOST.fullmatch(host):
        return None
    if host.startswith("["):
        return host[: host.index("]") + 1].lower()
    return host.split(":", 1)[0].lower()


@functools.cache  # the same two settings on every request: worked out once
def _allowed(allowed_hosts: tuple[str, ...], public_url: str) -> tuple[str, ...]:
    patterns = [pattern.lower() for pattern in allowed_hosts]
    if public_url:
        name = urlsplit(public_url).hostname or ""
        patterns.append(f"[{name}]" if ":" in name else name)
    return tuple(patterns)


def host_allowed(host: str, server: HttpSettings) -> bool:
    """Whether the ``Host`` value ``host`` names a host the gateway answers for."""
    name = _name(host)
    if name is None:
        return False
    for pattern in _allowed(server.allowed_hosts, server.public_url):
        if pattern in ("*", name):
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


@web.middleware
async def hosts(request: web.Request, handler: Handler) -> web.StreamResponse:
    """400 for a request to a host the gateway does not answer for."""
    server = request.app[HTTP]
    # A request without Host (HTTP/1.0) names nothing a caller chose: links then use the
    # server's own name.
    named = request.headers.getall(hdrs.HOST, [])
    if not all(host_allowed(host, server) for host in named):
        raise BadRequest(
            "this gateway does not answer for the host named in the Host header; "
            "the hosts it answers for are listed in its server.allowed_hosts"
        )
    if server.trust_forwarded:
        forwarded = first_value(request.headers.get("X-Forwarded-Host"))
        if forwarded is not None and not host_allowed(forwarded, server):
            raise BadRequest(
                "this gateway does not answer for the host named in X-Forwarded-Host; "
                "the hosts it answers for are listed in its server.allowed_hosts"
            )
    return await handler(request)


async def server_header(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """``Server: hal-media-gateway``: the library and its version help only an attacker."""
    response.headers[hdrs.SERVER] = SERVER_NAME
