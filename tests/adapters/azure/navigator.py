"""A HAL client for the Azure backend tests: it starts at ``GET /`` and follows links by
relation name, never building a URL itself."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from gateway import hal

HAL = "application/hal+json"
PROBLEM = "application/problem+json"
Doc = dict[str, Any]
POLLS = 5000
"""Most reads of a video while waiting for its encoding to end."""


class Navigator:
    """Follows links by relation from the gateway root, as a HAL client does."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.session: aiohttp.ClientSession = client.session
        self.seen: list[str] = []

    async def request(
        self, method: str, href: str, **kwargs: Any
    ) -> tuple[aiohttp.ClientResponse, Any]:
        """Send a request; the body comes back parsed when it is JSON, else as bytes."""
        async with self.session.request(method, href, **kwargs) as response:
            raw = await response.read()
            self.seen.append(raw.decode("utf-8", "replace") + json.dumps(dict(response.headers)))
            body: Any = raw
            if response.content_type in (HAL, PROBLEM, "application/json"):
                body = json.loads(raw) if raw else None
            return response, body

    async def get(self, href: str) -> Doc:
        """A HAL document that must be there."""
        response, body = await self.request("GET", href, headers={"Accept": HAL})
        assert response.status == 200, (href, body)
        assert response.content_type == HAL
        return dict(body)

    @staticmethod
    def href(doc: Doc, rel: str, which: str | None = None, **variables: Any) -> str:
        """The href of ``rel`` (the link named ``which`` of an array), templates expanded."""
        link = doc["_links"][rel]
        if isinstance(link, list):
            link = next(item for item in link if which is None or item.get("name") == which)
        href = str(link["href"])
        return hal.expand(href, **variables) if link.get("templated") else href

    async def follow(self, doc: Doc, rel: str, which: str | None = None, **variables: Any) -> Doc:
        """The document ``rel`` leads to."""
        return await self.get(self.href(doc, rel, which, **variables))

    async def root(self) -> Doc:
        """The gateway root."""
        return await self.get(str(self.client.make_url("/")))

    async def backend(self, name: str = "azure") -> Doc:
        """A backend's root, reached from the gateway root."""
        return await self.follow(await self.root(), "gw:backend", name)

    async def registered(self, rel: str, system: str = "azure", **variables: Any) -> str:
        """The registry's href of ``rel`` for ``system``, its template expanded."""
        registry = await self.follow(await self.root(), "registry:serviceroots")
        entry = next(
            e
            for e in registry["resources"][rel]
            if any(s["systemID"] == system for s in e["systems"])
        )
        href = str(entry["href"])
        return hal.expand(href, **variables) if entry["templated"] else href

    async def upload(
        self,
        data: Any,
        *,
        filename: str | None = "talk.mp4",
        content_type: str = "video/mp4",
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[aiohttp.ClientResponse, Any]:
        """A one-step upload: the bytes POSTed to ``azure:videos``."""
        videos = self.href(await self.backend(), "azure:videos")
        query = dict(params or {})
        if filename is not None:
            query["filename"] = filename
        return await self.request(
            "POST",
            videos,
            data=data,
            params=query,
            headers={"Content-Type": content_type, **(headers or {})},
        )

    async def until_ready(self, video: Doc) -> tuple[Doc, list[tuple[str, Any]]]:
        """Follow ``self`` until the video's encoding is over; also every state seen."""
        seen: list[tuple[str, Any]] = []
        for _ in range(POLLS):
            video = await self.follow(video, "self")
            seen.append((video["status"], video["progress"]))
            if video["status"] in ("Ready", "Failed"):
                return video, seen
        raise AssertionError(f"still {video['status']} after {POLLS} reads")

    async def videos(self) -> list[Doc]:
        """Every video the backend lists, page after page."""
        page = await self.follow(await self.backend(), "azure:videos", per_page=50)
        items = list(page.get("_embedded", {}).get("azure:video", []))
        while "next" in page["_links"]:
            page = await self.follow(page, "next")
            items += page["_embedded"]["azure:video"]
        return items
