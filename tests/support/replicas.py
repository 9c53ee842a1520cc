"""Several ``hal-gateway serve`` processes on one config, and a client that spreads over them.

Each replica is a whole gateway in a process of its own, on a port of its own, as an
operator runs replicas behind a load balancer; what they share is only what the config
shares (Redis, the signing key, the upstreams).
"""

from __future__ import annotations

import asyncio
import itertools
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import aiohttp

from tests.support import processes
from tests.support.processes import Started
from tests.support.replies import Reply, fetch


async def start_replicas(started: Started, config: Path, count: int, logs: Path) -> list[str]:
    """Start ``count`` replicas of ``config`` at once; their base URLs, without the last ``/``.

    Each reads a free port (the config's ``port = 0``) and logs to ``logs/gw<k>.log``. The
    event loop keeps running meanwhile, so upstreams served in it answer their probes.
    """
    urls = await asyncio.gather(
        *(
            asyncio.to_thread(
                processes.start,
                started,
                "serve",
                "--config",
                str(config),
                log=logs / f"gw{k}.log",
            )
            for k in range(1, count + 1)
        )
    )
    return [url.rstrip("/") for _, url in urls]


def cookie_of(reply: Reply, name: str) -> dict[str, str]:
    """A ``Cookie`` header carrying the cookie ``name`` that ``reply`` set."""
    jar: SimpleCookie = SimpleCookie()
    for value in reply.headers.getall("Set-Cookie", []):
        jar.load(value)
    return {"Cookie": f"{name}={jar[name].value}"}


class RoundRobin:
    """A client of several replicas: each request goes to the next one, unless told ``at``.

    ``at`` counts from 1, as the replicas' log files do.
    """

    def __init__(self, http: aiohttp.ClientSession, urls: list[str]) -> None:
        self.http = http
        self.urls = urls
        self._turns = itertools.cycle(range(1, len(urls) + 1))

    async def call(self, method: str, path: str, *, at: int | None = None, **kwargs: Any) -> Reply:
        """Send ``method path`` to replica ``at`` (else the next in turn); the answer, whole."""
        replica = next(self._turns) if at is None else at
        return await fetch(self.http, method, self.urls[replica - 1] + path, **kwargs)
