"""Raw HTTP against a simulator: what a client saw, read whole."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL


@dataclass
class Reply:
    """What a client saw."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


async def fetch(http: aiohttp.ClientSession, method: str, url: str | URL, **kwargs: Any) -> Reply:
    """Send one request, redirects not followed, and read the whole answer."""
    kwargs.setdefault("allow_redirects", False)
    async with http.request(method, url, **kwargs) as response:
        return Reply(response.status, response.headers, await response.read())
