"""HTTP/1.1 on a raw socket: what the gateway puts on the wire, byte for byte.

An HTTP client library hides exactly what these tests look for (bytes after a HEAD
answer's headers, a second answer that starts in the middle of the first one's body),
so requests are written and answers read by hand here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from yarl import URL

END_OF_HEADERS = b"\r\n\r\n"
TIMEOUT_S = 10.0


def _request(method: str, url: URL, headers: Mapping[str, str], close: bool) -> bytes:
    lines = [f"{method} {url.raw_path_qs} HTTP/1.1", f"Host: {url.host}:{url.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close" if close else "Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _until_closed(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.read(), TIMEOUT_S)


async def head_alone(url: URL, headers: Mapping[str, str]) -> tuple[bytes, bytes]:
    """HEAD ``url`` and read until the gateway closes: (header block, any bytes after it)."""
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(_request("HEAD", url, headers, close=True))
        raw = await _until_closed(reader)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, rest = raw.partition(END_OF_HEADERS)
    return head, rest


async def head_then_get(url: URL, headers: Mapping[str, str]) -> tuple[bytes, bytes]:
    """HEAD ``url``, then GET it on the same kept-alive connection.

    Returns the HEAD answer's header block and everything read after it until the
    gateway closed the connection (the GET asks it to): that must be the GET's answer,
    whole, and nothing before it.
    """
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(_request("HEAD", url, headers, close=False))
        head = await asyncio.wait_for(reader.readuntil(END_OF_HEADERS), TIMEOUT_S)
        writer.write(_request("GET", url, headers, close=True))
        rest = await _until_closed(reader)
    finally:
        writer.close()
        await writer.wait_closed()
    return head[: -len(END_OF_HEADERS)], rest


def status_of(header_block: bytes) -> int:
    """The status code of an answer's header block."""
    return int(header_block.split(b" ", 2)[1])


def header(header_block: bytes, name: str) -> str | None:
    """One header of an answer's header block (the first, if repeated)."""
    for line in header_block.split(b"\r\n")[1:]:
        key, _, value = line.decode("latin-1").partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def body_of(answer: bytes) -> bytes:
    """The body of one whole answer read until the connection closed (no chunking)."""
    head, _, body = answer.partition(END_OF_HEADERS)
    assert b"transfer-encoding: chunked" not in head.lower(), head
    return body
