"""Relaying an upstream's bytes to the client as they arrive.

For downloads of media and files: the upstream answer is streamed on chunk by
chunk with its content headers, never held whole. Bytes are relayed as the upstream
encoded them (the request asks for no compression), so ``Content-Length`` stays true.
A client that goes away ends the relay quietly; an upstream that breaks off after
the answer started ends the connection, since no second answer can follow.

Relayed bytes are what somebody uploaded, served on the gateway's own origin: they go
out with :func:`gateway.web.security.relayed_headers` (an attachment unless passive,
``nosniff``, sandboxed). A HEAD answer is the headers alone: bytes after them would be
read by a kept-alive client as the start of its next answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

import aiohttp
from aiohttp import hdrs, web

from gateway.web.bodies import CHUNK_BYTES
from gateway.web.security import relayed_headers

log = logging.getLogger(__name__)

CONTENT_HEADERS: Final = (
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Content-Disposition",
    "ETag",
    "Last-Modified",
    "Cache-Control",
)
NO_COMPRESSION: Final = {"Accept-Encoding": "identity"}
"""Headers for an upstream download to relay: bytes as stored, lengths that hold."""
BODILESS: Final = frozenset({204, 304})
"""Statuses whose answers never carry a body (RFC 9110 sections 15.3.5 and 15.4.5)."""


async def relay(
    request: web.Request,
    upstream: aiohttp.ClientResponse,
    *,
    status: int = 200,
    headers: Iterable[str] = CONTENT_HEADERS,
) -> web.StreamResponse:
    """Stream ``upstream``'s body to the client with its content headers, made safe.

    To HEAD (and with a bodiless status) only the headers go out, and the upstream body
    is never read: the upstream was asked with GET, since a presigned storage URL signs
    its method, and leaving its answer unread closes that one upstream connection
    rather than downloading the file for nothing.
    """
    passed = {k: upstream.headers[k] for k in headers if k in upstream.headers}
    if "Content-Encoding" in passed:
        # The upstream compressed anyway and the client session decompresses: the
        # length and encoding it announced no longer describe the bytes sent on.
        del passed["Content-Encoding"]
        passed.pop("Content-Length", None)
    out = web.StreamResponse(status=status, headers=relayed_headers(passed))
    await out.prepare(request)
    if request.method == hdrs.METH_HEAD or status in BODILESS:
        await out.write_eof()
        return out
    try:
        async for chunk in upstream.content.iter_chunked(CHUNK_BYTES):
            await out.write(chunk)
    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
        log.info("%s %s: the client went away mid-download", request.method, request.path)
        return out
    except (aiohttp.ClientError, TimeoutError):
        log.warning(
            "%s %s: the upstream broke off mid-download; closing the connection",
            request.method,
            request.path,
        )
        if request.transport is not None:
            request.transport.close()
        return out
    await out.write_eof()
    return out
