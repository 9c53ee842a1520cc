"""A supplemental file's bytes, fetched through Avalon's redirects by the gateway itself.

Under Avalon's default settings (``config/settings.yml:101-102`` in
avalonmediasystem/avalon: ``supplemental_files: proxy: false``) the content URL answers
302 to Rails' blob redirect route (``supplemental_files_controller.rb:92``), which
answers 302 again to the storage service's expiring URL: the Disk service on Avalon's
own host, or a presigned URL on an S3 or MinIO host. With ``proxy: true`` the content
URL sends the bytes itself.

The gateway follows those redirects by hand rather than letting the HTTP client do it:
the client would send ``Avalon-Api-Key`` along to whatever host the redirect names, and
the blob URLs need no credential at all (their signed ids are the capability). So only
the first request carries the key; each later one carries nothing of the backend's
credentials, whatever its origin. At most :data:`MAX_HOPS` redirects are followed, to
http or https URLs only, never from https down to http (:func:`refusal`). The first
must stay on Avalon's origin and lead to Rails' ActiveStorage routes (anything else is
a page, not the file). Later ones go to Avalon's origin, or to a storage origin: when
the backend lists ``storage_origins``, only to those; when it lists none, to any origin
whose addresses are all public, so that a redirect cannot make the gateway fetch from
its own network (loopback, link-local, private). A listed origin is trusted on any
address. An answer that is still a redirect, or any other status but 2xx, never
reaches the client as the file.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Final

import aiohttp
from yarl import URL

from gateway.spi import NO_COMPRESSION, UpstreamClient, UpstreamUnavailable

MAX_HOPS: Final = 5
"""Redirects followed at most; Avalon's chain has two (blob route, storage service)."""
REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
BLOB_ROUTES: Final = "/rails/active_storage/"
"""Where Avalon's first redirect leads (its CORS rules, ``config/application.rb:73-74``)."""
_SCHEMES: Final = frozenset({"http", "https"})

Origin = tuple[str, str, int | None]
"""Scheme, lower-case host and port (the scheme's default when not written)."""


def origin(url: URL | str) -> Origin:
    """The origin of ``url``."""
    parsed = URL(url) if isinstance(url, str) else url
    return parsed.scheme, (parsed.host or "").lower(), parsed.port


def origins(urls: Iterable[str]) -> frozenset[Origin]:
    """The origins of configured ``storage_origins``."""
    return frozenset(origin(url) for url in urls)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.partition("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global


async def _all_public(host: str, port: int | None) -> bool:
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(found) and all(_public(str(info[4][0])) for info in found)


async def refusal(
    home: URL, current: URL, target: URL, *, first: bool, storage: frozenset[Origin]
) -> str | None:
    """Why the gateway may not follow a redirect from ``current`` to ``target``; None if
    it may. ``home`` is Avalon's base URL, ``storage`` the configured storage origins."""
    if target.scheme not in _SCHEMES or not target.host:
        return "a redirect to a URL that is not http or https"
    if current.scheme == "https" and target.scheme == "http":
        return "a redirect from https to http"
    where = origin(target)
    if first:
        if where != origin(home):
            return "a first redirect to another origin than the backend's"
        if not target.path.startswith(BLOB_ROUTES):
            return "a redirect to a page rather than to the file"
        return None
    if where == origin(home) or where in storage:
        return None
    if storage:
        return "a redirect to an origin that is not the backend's or a storage origin"
    if not await _all_public(target.raw_host or "", target.port):
        return "a redirect to an address of the gateway's own network"
    return None


def _failed(client: UpstreamClient, why: str, status: int | None = None) -> UpstreamUnavailable:
    return UpstreamUnavailable(
        f"backend {client.backend} could not deliver the file: {why}",
        backend=client.backend,
        upstream_status=status,
    )


async def _next_hop(
    client: UpstreamClient,
    response: aiohttp.ClientResponse,
    first: bool,
    storage: frozenset[Origin],
) -> str:
    """The absolute URL a redirect leads to, if the gateway may follow it."""
    location = response.headers.get("Location", "")
    if not location:
        raise _failed(client, "a redirect that names no location", response.status)
    target = response.url.join(URL(location, encoded=True))
    why = await refusal(URL(client.base_url), response.url, target, first=first, storage=storage)
    if why is not None:
        raise _failed(client, why, response.status)
    return str(target)


@asynccontextmanager
async def content(
    client: UpstreamClient, path: str, storage_origins: Iterable[str] = ()
) -> AsyncIterator[aiohttp.ClientResponse]:
    """The 2xx answer that holds the bytes of ``GET path``, its body unread.

    ``storage_origins`` are the backend's configured storage origins (see the module).

    Avalon's own error answer to the first request is its error (read by the adapter's
    error reader); a failing storage hop is the backend's failure (503), its body unread:
    a storage service's error document is not Avalon's to show.
    """
    url, hop, storage = path, 0, origins(storage_origins)
    while True:
        first = hop == 0
        async with client.stream(
            "GET",
            url,
            headers=NO_COMPRESSION,
            transfer=True,
            authenticate=first,
            # A presigned URL's signature covers its query exactly as written.
            encoded=not first,
        ) as response:
            if response.status in REDIRECTS:
                if hop == MAX_HOPS:
                    raise _failed(client, f"more than {MAX_HOPS} redirects", response.status)
                url, hop = await _next_hop(client, response, first, storage), hop + 1
                continue
            if first:
                await client.check(response)
            if not 200 <= response.status < 300:
                raise _failed(client, f"it answered {response.status}", response.status)
            yield response
            return
