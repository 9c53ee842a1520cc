"""Requests aiohttp's HTTP parser refuses, over raw sockets: problem+json, never an echo.

aiohttp answers a request it cannot parse with a ``text/plain`` 400 whose body repeats
the offending bytes. The gateway (as ``hal-gateway serve`` runs it,
:func:`gateway.web.serving.serve`) answers each with a 400 problem instead: the gateway's
own words, its security headers, ``Server: hal-media-gateway``, ``Connection: close``,
and one log line without a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import pytest

from gateway.web import serving, statuses
from tests.support.served import BOUND_S, Answer, Serve, parse, read_to_end

MARK = b"zqmark"
"""In every malformed request: an answer that holds it echoed the request."""


async def exchange(host: str, port: int, request: bytes) -> Answer:
    """Send ``request`` and read until the gateway closes the connection."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), BOUND_S)
    try:
        writer.write(request)
        raw = await read_to_end(reader)
    finally:
        writer.close()
        with contextlib.suppress(OSError):  # the gateway reset it first
            await asyncio.wait_for(writer.wait_closed(), BOUND_S)
    return parse(raw)


def head(first_line: bytes, *header_lines: bytes, body: bytes = b"") -> bytes:
    lines = [first_line, b"Host: localhost", *header_lines]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


LONG = b"X-Long: " + MARK + b"a" * 9000
MALFORMED = [
    pytest.param(
        head(
            b"POST /" + MARK + b" HTTP/1.1",
            b"Content-Length: 2",
            b"Content-Length: 2" + MARK,
            body=b"{}",
        ),
        id="duplicate-content-length",
    ),
    pytest.param(
        head(
            b"POST /" + MARK + b" HTTP/1.1",
            b"Content-Length: 5",
            b"Transfer-Encoding: chunked",
            body=b"0\r\n\r\n",
        ),
        id="content-length-with-transfer-encoding",
    ),
    pytest.param(
        head(
            b"POST /" + MARK + b" HTTP/1.1",
            b"Content-Length: 2",
            b"Content-Length: 2",
            body=b"{}",
        ),
        id="duplicate-equal-content-length",
    ),
    pytest.param(head(b"GET /" + MARK + b" x HTTP/1.1"), id="space-in-target"),
    pytest.param(
        head(b"POST /" + MARK + b" HTTP/1.1", b"Content-Length: 2" + MARK, body=b"{}"),
        id="invalid-content-length",
    ),
    pytest.param(
        head(b"POST /" + MARK + b" HTTP/1.1", b"Content-Length: -2", body=b"{}"),
        id="negative-content-length",
    ),
    pytest.param(head(b"GET /healthz HTTP/1.1", LONG), id="header-over-the-limit"),
    pytest.param(head(b"GET /" + MARK + b"\x00x HTTP/1.1"), id="nul-in-target"),
    pytest.param(head(b"GET /" + MARK + b"\xffx HTTP/1.1"), id="raw-xff-in-target"),
    pytest.param(head(b"G(" + MARK + b" /healthz HTTP/1.1"), id="invalid-method"),
    pytest.param(
        head(b"GET /healthz HTTP/1.1", b"X-Folded: one", b"  " + MARK), id="folded-header"
    ),
    pytest.param(
        head(b"GET /healthz HTTP/1.1", b"Host: " + MARK + b".example"), id="duplicate-host"
    ),
    pytest.param(
        head(b"GET /healthz HTTP/1.1", b"X-" + MARK + b"\x01: x"), id="control-byte-in-header"
    ),
    pytest.param(head(b"GET /healthz HTTP/9." + MARK), id="bad-version"),
]


@pytest.mark.parametrize("request_bytes", MALFORMED)
async def test_a_malformed_request_gets_a_400_problem_that_echoes_nothing(
    serve: Serve, request_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = await serve()
    caplog.set_level(logging.DEBUG)
    answer = await exchange(host, port, request_bytes)
    assert answer.status == 400, answer.raw[:300]
    assert answer.status in statuses.STATUS_TABLE
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.raw[:300]
    assert MARK not in answer.raw, answer.raw[:600]
    problem = json.loads(answer.body)
    assert problem["status"] == 400
    assert problem["code"] == "bad-request"
    assert problem["title"] == statuses.row(400).condition
    assert problem["transient"] is False
    assert problem["incident"] == answer.headers["x-request-id"]
    assert problem["detail"]
    assert "Traceback" not in problem["detail"]
    assert answer.headers["connection"].lower() == "close"
    assert answer.headers["server"] == "hal-media-gateway"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    # One log line of the gateway's, no traceback, nothing from aiohttp's error path.
    ours = [r for r in caplog.records if r.name == serving.__name__]
    assert len(ours) == 1, [r.getMessage() for r in ours]
    assert ours[0].exc_info is None
    assert MARK.decode() not in ours[0].getMessage()
    assert not [r for r in caplog.records if r.name == "aiohttp.server"]


async def test_a_well_formed_request_after_a_malformed_one_is_served_on_a_new_connection(
    serve: Serve,
) -> None:
    host, port = await serve()
    refused = await exchange(host, port, head(b"G(T /healthz HTTP/1.1"))
    assert refused.status == 400
    served = await exchange(host, port, head(b"GET /healthz HTTP/1.1", b"Connection: close"))
    assert served.status == 200, served.raw[:300]


async def test_a_request_line_past_the_parser_limit_is_a_400_problem(serve: Serve) -> None:
    """aiohttp raises the same error for a long request line as for a long header, so the
    gateway cannot tell it apart for a 414; URIs under the parser's limit still get 414."""
    host, port = await serve(max_uri_bytes=256)
    past_parser = await exchange(host, port, head(b"GET /" + MARK + b"a" * 9000 + b" HTTP/1.1"))
    assert past_parser.status == 400
    assert past_parser.headers["content-type"].startswith("application/problem+json")
    assert MARK not in past_parser.raw
    long_uri = b"GET /healthz?q=" + b"a" * 400 + b" HTTP/1.1"
    over_uri = await exchange(host, port, head(long_uri, b"Connection: close"))
    assert over_uri.status == 414
