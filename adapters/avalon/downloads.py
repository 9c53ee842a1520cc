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
credentials, whatever its origin. The first redirect must lead to Rails' ActiveStorage
routes (anything else is a page, not the file); at most :data:`MAX_HOPS` redirects are
followed, to http or https URLs only. An answer that is still a redirect, or any other
status but 2xx, never reaches the client as the file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
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


def _failed(client: UpstreamClient, why: str, status: int | None = None) -> UpstreamUnavailable:
    return UpstreamUnavailable(
        f"backend {client.backend} could not deliver the file: {why}",
        backend=client.backend,
        upstream_status=status,
    )


def _next_hop(client: UpstreamClient, response: aiohttp.ClientResponse, first: bool) -> str:
    """The absolute URL a redirect leads to, if the gateway may follow it."""
    location = response.headers.get("Location", "")
    if not location:
        raise _failed(client, "a redirect that names no location", response.status)
    target = response.url.join(URL(location, encoded=True))
    if target.scheme not in _SCHEMES or not target.host:
        raise _failed(client, "a redirect to a URL that is not http or https", response.status)
    if first and BLOB_ROUTES not in target.path:
        raise _failed(client, "a redirect to a page rather than to the file", response.status)
    return str(target)


@asynccontextmanager
async def content(client: UpstreamClient, path: str) -> AsyncIterator[aiohttp.ClientResponse]:
    """The 2xx answer that holds the bytes of ``GET path``, its body unread.

    Avalon's own error answer to the first request is its error (read by the adapter's
    error reader); a failing storage hop is the backend's failure (503), its body unread:
    a storage service's error document is not Avalon's to show.
    """
    url, hop = path, 0
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
                url, hop = _next_hop(client, response, first), hop + 1
                continue
            if first:
                await client.check(response)
            if not 200 <= response.status < 300:
                raise _failed(client, f"it answered {response.status}", response.status)
            yield response
            return
