"""Calls straight to a MediaCentral simulator, behind no gateway, for the simulator's own tests."""

from __future__ import annotations

from typing import Any

import aiohttp

from adapters.mediacentral.simulator import MediaCentralSimulator
from gateway.web import hal
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


def first(doc: Doc, rel: str) -> str:
    """The href of the first link of ``rel``: the platform's links are arrays."""
    links = doc["_links"][rel]
    assert isinstance(links, list), f"{rel} is not an array of links"
    href: str = links[0]["href"]
    return href


def items(doc: Doc, rel: str) -> list[Doc]:
    """Embedded resources of ``rel``: one alone may be an object."""
    value = doc.get("_embedded", {}).get(rel, [])
    return value if isinstance(value, list) else [value]


async def login(http: aiohttp.ClientSession, sim: MediaCentralSimulator) -> None:
    """The legacy login, found by links from /auth as the forum thread describes."""
    auth = await get(http, sim.url + "/auth")
    providers = await get(http, first(auth, "auth:identity-providers"))
    [mcux] = [p for p in items(providers, "auth:identity-provider") if p["kind"] == "mcux"]
    body = {"username": USER, "password": PASSWORD}
    async with http.post(first(mcux, "auth-mcux:login"), json=body) as response:
        assert response.status == 200
        assert "avidAccessToken" in response.cookies


async def serviceroots(http: aiohttp.ClientSession, sim: MediaCentralSimulator) -> Doc:
    """The service roots, reached from the legacy root through its templated link."""
    root = await get(http, sim.url + REGISTRY)
    link = root["_links"]["registry:serviceroots"]
    assert link["templated"] is True
    return await get(http, hal.expand(link["href"]))


def service(roots: Doc, rel: str, system_id: str | None = None) -> str:
    """The href of ``rel`` for one system (the only one, when not named)."""
    found = [
        e
        for e in roots["resources"][rel]
        if system_id is None or any(s["systemID"] == system_id for s in e["systems"])
    ]
    [entry] = found
    href: str = entry["href"]
    return href
