"""Calls straight to a MediaCentral simulator, behind no gateway, for the simulator's own tests."""

from __future__ import annotations

from typing import Any

import aiohttp

from adapters.mediacentral.simulator import MediaCentralSimulator
from tests.support.mediacentral.fixtures import PASSWORD, USER
from tests.support.navigator import Doc

REGISTRY = "/apis/avid.ctms.registry;version=0;realm=global"
"""The legacy registry's root on the simulator's host."""

AVID_PROBLEM = "application/vnd.avid.problem+json"
"""The media type of the platform's problem documents."""


async def get(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> Doc:
    """A HAL document that must answer 200."""
    async with http.get(url, **kwargs) as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "application/hal+json"
        body: Doc = await response.json()
        return body


async def login(http: aiohttp.ClientSession, sim: MediaCentralSimulator) -> None:
    """The legacy login, found by links from /auth as the forum thread describes."""
    auth = await get(http, sim.url + "/auth")
    providers = await get(http, auth["_links"]["auth:identity-providers"]["href"])
    [mcux] = [p for p in providers["_embedded"]["auth:identity-provider"] if p["kind"] == "mcux"]
    body = {"username": USER, "password": PASSWORD}
    async with http.post(mcux["_links"]["auth-mcux:login"]["href"], json=body) as response:
        assert response.status == 200
        assert "avidAccessToken" in response.cookies
