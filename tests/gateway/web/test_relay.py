"""Downloads relayed from an upstream (:func:`gateway.web.relay.relay`), over real sockets.

An upstream on loopback answers; a route of the gateway fetches from it and relays the
answer, as an adapter's download route does. What reaches the client: the content headers
and nothing else of the upstream's, a length that describes the bytes sent, an answer that
never looks whole when the upstream broke off, and bytes that cannot run on the gateway's
origin whatever the upstream called them.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.web import serving
from gateway.web.relay import NO_COMPRESSION, relay
from gateway.web.routing import Route, add_route
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import bearer

BOUND_S: Final = 5.0
"""Longest wait for a relayed answer; only a gateway that never ends one reaches it."""
MEDIA: Final = bytes(range(256)) * 400
"""What the upstream stores: 100 kB of every byte value."""

Served = Callable[[web.Application], Awaitable[str]]
Origin = Callable[[str], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def relayed(gateway: GatewayFactory, make_config: ConfigFactory) -> Origin:
    """``await relayed(url)``: a gateway whose ``GET /relayed/{tail}`` relays ``url/{tail}``
    (the query passed on).

    The route asks as adapters do (:data:`NO_COMPRESSION`), through a client session
    that decompresses what comes compressed anyway.
    """

    async def start(url: str) -> TestClient[Any, Any]:
        async def download(request: web.Request) -> web.StreamResponse:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{url}/{request.match_info['tail']}",
                    params=request.query,
                    headers=NO_COMPRESSION,
                ) as up,
            ):
                return await relay(request, up)

        def routes(app: web.Application) -> None:
            add_route(app, Route("GET", "/relayed/{tail}", download, produces=()))

        return await gateway(make_config(backends={}), routes=routes)

    return start


async def _stored(request: web.Request) -> web.StreamResponse:
    """The upstream's file: the type and disposition the query asks for, and headers no
    client of the gateway has any business with."""
    headers = {
        "Content-Type": request.query.get("type", "video/mp4"),
        "ETag": '"v7"',
        "Last-Modified": "Mon, 29 Jan 2024 15:48:05 GMT",
        "Cache-Control": "private, max-age=60",
        "Set-Cookie": "upstream_session=s3cr3t; Path=/; HttpOnly",
        "Server": "UpstreamStore/2.1",
        "X-Powered-By": "Storage-Engine 9",
        "Via": "1.1 upstream-cache",
        "Keep-Alive": "timeout=99",
        "WWW-Authenticate": 'Basic realm="storage"',
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Credentials": "true",
        "Strict-Transport-Security": "max-age=1",
        "X-Frame-Options": "ALLOWALL",
        "Content-Security-Policy": "script-src * 'unsafe-inline'",
        "Location": "https://storage.internal/elsewhere",
        "X-Upstream-Request-Id": "internal-7f3a",
        "X-Amz-Request-Id": "bucket-node-12",
    }
    if "disposition" in request.query:
        headers["Content-Disposition"] = request.query["disposition"]
    return web.Response(body=MEDIA, headers=headers)


async def _gzipped(request: web.Request) -> web.StreamResponse:
    """Compressed although the gateway asked for the bytes as stored, with the
    compressed length."""
    body = gzip.compress(MEDIA)
    headers = {"Content-Type": "video/mp4", "Content-Encoding": "gzip"}
    headers["Content-Length"] = str(len(body))
    return web.Response(body=body, headers=headers)


@pytest.fixture
async def store(upstream: Served) -> str:
    """An upstream file store on loopback; its URL."""
    app = web.Application()
    app.router.add_get("/stored", _stored)
    app.router.add_get("/gzipped", _gzipped)
    return await upstream(app)


async def test_only_the_content_headers_of_the_upstream_reach_the_client(
    relayed: Origin, store: str
) -> None:
    client = await relayed(store)
    response = await client.get("/relayed/stored")
    assert response.status == 200
    assert await response.read() == MEDIA
    # What describes the bytes is passed on as the upstream said it.
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Length"] == str(len(MEDIA))
    assert response.headers["ETag"] == '"v7"'
    assert response.headers["Last-Modified"] == "Mon, 29 Jan 2024 15:48:05 GMT"
    assert response.headers["Cache-Control"] == "private, max-age=60"
    # Nothing of the upstream's own: its cookies, its software, its hops, its auth
    # challenge, its cross-origin grants, its redirects, its request ids.
    for name in (
        "Set-Cookie",
        "X-Powered-By",
        "Via",
        "Keep-Alive",
        "WWW-Authenticate",
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Credentials",
        "Strict-Transport-Security",
        "Location",
        "X-Upstream-Request-Id",
        "X-Amz-Request-Id",
    ):
        assert name not in response.headers, name
    assert "upstream_session" not in client.session.cookie_jar.filter_cookies(client.make_url("/"))
    assert response.headers["Server"] == "hal-media-gateway"
    # The gateway's own framing and security headers, never the upstream's.
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "sandbox"


async def test_a_body_compressed_anyway_arrives_whole_with_a_length_that_fits(
    relayed: Origin, store: str
) -> None:
    client = await relayed(store)
    async with aiohttp.ClientSession(auto_decompress=False) as raw:
        url = client.make_url("/relayed/gzipped")
        async with raw.get(url, headers=dict(client.session.headers)) as response:
            assert response.status == 200
            body = await response.read()
            headers = response.headers
    # The bytes sent are the stored bytes, decompressed on the way: no encoding is
    # claimed, and no length but theirs.
    assert body == MEDIA
    assert "Content-Encoding" not in headers
    assert headers.get("Content-Length", str(len(body))) == str(len(body))


async def _broken_upstream(answer_head: bytes, partial_body: bytes) -> AsyncIterator[str]:
    """A raw HTTP upstream that answers ``answer_head``, sends ``partial_body`` and hangs up.

    aiohttp's server always finishes what it starts; a server that dies mid-answer has to
    be written by hand.
    """

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer_head + partial_body)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def _read_into(received: bytearray, response: aiohttp.ClientResponse) -> None:
    """Read ``response``'s body into ``received`` as it comes, up to its end."""
    async for chunk in response.content.iter_any():
        received.extend(chunk)


@pytest.fixture(
    params=[
        pytest.param(
            (
                b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n"
                b"Content-Length: %d\r\n\r\n" % len(MEDIA),
                MEDIA[:30_000],
            ),
            id="promised-length",
        ),
        pytest.param(
            (
                b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"%x\r\n%s\r\n" % (30_000, MEDIA[:30_000]),
            ),
            id="chunked",
        ),
    ]
)
async def broken(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """An upstream that breaks off after 30 kB of its answer; its URL."""
    head, body = request.param
    async for url in _broken_upstream(head, body):
        yield url


async def test_a_download_the_upstream_broke_off_never_looks_complete(
    relayed: Origin, broken: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = await relayed(broken)
    received = bytearray()
    async with asyncio.timeout(BOUND_S):
        response = await client.get("/relayed/media")
        assert response.status == 200  # the answer had started: no second status can follow
        with pytest.raises(aiohttp.ClientPayloadError):
            await _read_into(received, response)
    # The client holds a part and knows it: never a truncated file taken for the whole.
    assert len(received) < len(MEDIA)
    assert MEDIA.startswith(received)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("broke off mid-download" in r.getMessage() for r in warnings)


@pytest.mark.parametrize(
    ("content_type", "disposition", "expected"),
    [
        pytest.param(
            "text/html; charset=utf-8",
            'inline; filename="page.html"',
            'attachment; filename="page.html"',
            id="html-inline-made-attachment",
        ),
        pytest.param("TEXT/HTML", None, "attachment", id="html-any-case"),
        pytest.param("image/svg+xml", None, "attachment", id="svg-runs-scripts"),
        pytest.param("application/pdf", None, "attachment", id="pdf"),
        pytest.param("application/javascript", None, "attachment", id="script"),
        pytest.param("application/xhtml+xml", None, "attachment", id="xhtml"),
        pytest.param("application/octet-stream", None, "attachment", id="unknown-bytes"),
        pytest.param(
            "image/png",
            'inline; filename="frame.png"',
            'inline; filename="frame.png"',
            id="image-stays-inline",
        ),
        pytest.param("video/mp4", None, None, id="video-plays"),
        pytest.param("text/vtt", None, None, id="captions"),
    ],
)
async def test_relayed_bytes_never_run_on_the_gateways_origin(
    relayed: Origin,
    store: str,
    content_type: str,
    disposition: str | None,
    expected: str | None,
) -> None:
    client = await relayed(store)
    query = {"type": content_type} | ({"disposition": disposition} if disposition else {})
    response = await client.get("/relayed/stored", params=query)
    assert response.status == 200
    assert await response.read() == MEDIA
    # The type stays what the upstream said; nosniff keeps a browser from guessing
    # another, the sandbox gives the bytes an opaque origin without script, and anything
    # a browser might run is a download.
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers.get("Content-Disposition") == expected


# --- statuses, compression without a length, and clients that leave -----------------------

CHUNK: Final = bytes(range(256)) * 256
"""64 kB of an endless upstream answer."""


def _relay_logs(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "gateway.web.relay"]


async def _partial(request: web.Request) -> web.Response:
    """The first kilobyte, as a range answer."""
    headers = {"Content-Type": "video/mp4", "Content-Range": f"bytes 0-999/{len(MEDIA)}"}
    return web.Response(status=206, body=MEDIA[:1000], headers=headers)


async def _gzipped_chunked(request: web.Request) -> web.StreamResponse:
    """Compressed although not asked to, and chunked: no length at all."""
    response = web.StreamResponse(headers={"Content-Type": "video/mp4", "Content-Encoding": "gzip"})
    await response.prepare(request)
    await response.write(gzip.compress(MEDIA))
    await response.write_eof()
    return response


async def test_a_relay_answers_with_the_status_its_route_gives(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Served
) -> None:
    app = web.Application()
    app.router.add_get("/partial", _partial)
    url = await upstream(app)

    async def download(request: web.Request) -> web.StreamResponse:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url}/partial", headers=NO_COMPRESSION) as up,
        ):
            return await relay(request, up, status=up.status)

    def routes(app: web.Application) -> None:
        add_route(app, Route("GET", "/partial", download, produces=()))

    client = await gateway(make_config(backends={}), routes=routes)
    response = await client.get("/partial")
    assert response.status == 206
    assert await response.read() == MEDIA[:1000]


async def test_a_body_compressed_anyway_without_a_length_arrives_whole(
    relayed: Origin, upstream: Served
) -> None:
    app = web.Application()
    app.router.add_get("/gzipped-chunked", _gzipped_chunked)
    client = await relayed(await upstream(app))
    response = await client.get("/relayed/gzipped-chunked")
    assert response.status == 200
    assert await response.read() == MEDIA
    assert "Content-Encoding" not in response.headers


async def test_a_client_that_leaves_mid_download_ends_the_relay_with_one_info_line(
    make_config: ConfigFactory, upstream: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    let_go = asyncio.Event()

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        await response.prepare(request)
        try:
            for _ in range(10_000):  # 640 MB at most: far more than any socket buffers
                await response.write(CHUNK)
        finally:
            let_go.set()  # the gateway closed its upstream connection: the relay is over
        return response

    upstream_app = web.Application()
    upstream_app.router.add_get("/endless", endless)
    url = await upstream(upstream_app)

    async def download(request: web.Request) -> web.StreamResponse:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url}/endless", headers=NO_COMPRESSION) as up,
        ):
            return await relay(request, up)

    # Served as `hal-gateway serve` serves it: a handler runs on when its client leaves
    # (test servers would cancel it instead).
    app = create_app(make_config(backends={}))
    add_route(app, Route("GET", "/relayed/endless", download, produces=()))
    runner = await serving.serve(app, "127.0.0.1", 0)
    try:
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession(headers=bearer(app, "admin")) as client:
            async with asyncio.timeout(BOUND_S):
                response = await client.get(f"http://{host}:{port}/relayed/endless")
                assert response.status == 200
                await response.content.readexactly(len(CHUNK))
                response.close()  # the client hangs up
                await let_go.wait()
    finally:
        await runner.cleanup()
    assert _relay_logs(caplog) == [
        (logging.INFO, "GET /relayed/endless: the client went away mid-download")
    ]


async def test_an_upstream_that_broke_off_is_one_warning_naming_the_request(
    relayed: Origin, broken: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = await relayed(broken)
    async with asyncio.timeout(BOUND_S):
        response = await client.get("/relayed/media")
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    assert _relay_logs(caplog) == [
        (
            logging.WARNING,
            "GET /relayed/media: the upstream broke off mid-download; closing the connection",
        )
    ]
