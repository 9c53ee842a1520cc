"""The aiohttp reference servers the gateway is measured against, one process each.

``python -m bench._reference bare FILE`` answers every GET with the bytes of ``FILE``;
``python -m bench._reference proxy UPSTREAM`` fetches the same path from ``UPSTREAM``
with one pooled client session and answers with the bytes it got (the naive proxy: no
translation, no auth, no limits). Both serve on a free loopback port, print
``reference serving on URL`` first, run on uvloop when it is installed (on asyncio's
own loop otherwise) and stop on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.Response]]


def event_loop() -> str:
    """``uvloop`` when it is installed, else ``asyncio``: the loop the references run on."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def _bare(body: bytes) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    return handle


def _proxy(upstream: str, session: aiohttp.ClientSession) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        async with session.get(upstream + request.raw_path) as answer:
            body = await answer.read()
            return web.Response(body=body, status=answer.status, content_type=answer.content_type)

    return handle


async def _serve(upstream: str | None, body: bytes) -> None:
    """Serve ``body`` (``upstream`` None) or what ``upstream`` answers, until stopped."""
    session = None
    if upstream is not None:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        handler = _proxy(upstream.rstrip("/"), session)
    else:
        handler = _bare(body)
    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"reference serving on http://127.0.0.1:{runner.addresses[0][1]}/", flush=True)
        stopped = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stopped.set)
        await stopped.wait()
    finally:
        await runner.cleanup()
        if session is not None:
            await session.close()


def main() -> None:
    """Serve one reference server until stopped."""
    parser = argparse.ArgumentParser(prog="python -m bench._reference")
    parser.add_argument("mode", choices=("bare", "proxy"))
    parser.add_argument("target", help="bare: the file to answer with; proxy: the upstream URL")
    args = parser.parse_args()
    if args.mode == "proxy":
        serve = _serve(args.target, b"")
    else:
        serve = _serve(None, Path(args.target).read_bytes())
    if event_loop() == "uvloop":
        importlib.import_module("uvloop").run(serve)
    else:
        asyncio.run(serve)


if __name__ == "__main__":
    main()
