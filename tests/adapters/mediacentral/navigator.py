"""A HAL client for the MediaCentral tests: follows relations, keeps every answer it saw."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.test_utils import TestClient
from yarl import URL

from gateway import hal

HAL = "application/hal+json"
PROBLEM = "application/problem+json"
Doc = dict[str, Any]


class Navigator:
    """Starts at the gateway root and follows links by relation name, as a HAL client does.

    Every answer (body and headers) is kept in ``seen``, so a test can check that
    nothing of the upstream's address ever reached the client.
    """

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.session: aiohttp.ClientSession = client.session
        self.seen: list[str] = []

    @property
    def base(self) -> str:
        """The gateway's base URL."""
        return str(self.client.make_url("")).rstrip("/")

    async def request(
        self, method: str, href: str | URL, **kwargs: Any
    ) -> tuple[aiohttp.ClientResponse, Any]:
        """Send a request to an absolute href; the body decoded when it is JSON."""
        async with self.session.request(method, href, **kwargs) as response:
            raw = await response.read()
            headers = json.dumps([[k, v] for k, v in response.headers.items()])
            self.seen.append(raw.decode("utf-8", "replace") + headers)
            body: Any = raw
            if response.content_type in (HAL, PROBLEM, "application/json"):
                body = json.loads(raw) if raw else None
            return response, body

    async def get(self, href: str) -> Doc:
        """GET a HAL document that must be there."""
        response, body = await self.request("GET", href, headers={"Accept": HAL})
        assert response.status == 200, (href, body)
        assert response.content_type == HAL
        assert isinstance(body, dict)
        return body

    async def problem(self, method: str, href: str, status: int, **kwargs: Any) -> Doc:
        """Send a request that must fail with ``status`` and a problem document."""
        response, body = await self.request(method, href, **kwargs)
        assert response.status == status, (href, body)
        assert response.content_type == PROBLEM
        assert isinstance(body, dict)
        assert body["status"] == status
        return body

    async def backend(self, name: str) -> Doc:
        """The root of backend ``name``, reached from the gateway root."""
        root = await self.get(self.base + "/")
        return await self.get(self.href(root, "gw:backend", name))

    @staticmethod
    def link(doc: Doc, rel: str, name: str | None = None) -> dict[str, Any]:
        """The link of ``rel`` (the one called ``name``, when given)."""
        value = doc["_links"][rel]
        links = value if isinstance(value, list) else [value]
        for link in links:
            if name is None or link.get("name") == name:
                assert isinstance(link, dict)
                return link
        raise AssertionError(f"no link {rel} named {name}")

    @classmethod
    def href(cls, doc: Doc, rel: str, name: str | None = None, **variables: Any) -> str:
        """The href of ``rel``, expanded with ``variables`` when it is a template."""
        link = cls.link(doc, rel, name)
        if link.get("templated"):
            return hal.expand(link["href"], **variables)
        assert not variables, f"{rel} is not templated"
        return str(link["href"])

    @staticmethod
    def embedded(doc: Doc, rel: str) -> list[Doc]:
        """The resources embedded under ``rel``."""
        value = doc.get("_embedded", {}).get(rel, [])
        return value if isinstance(value, list) else [value]

    @classmethod
    def child(cls, folder: Doc, name: str) -> Doc:
        """The embedded item of ``folder`` called ``name``."""
        for item in cls.embedded(folder, "loc:item"):
            if item["common"]["name"] == name:
                return item
        raise AssertionError(f"no item {name} in {folder['common']['name']}")

    async def pages(self, first: Doc, rel: str) -> list[Doc]:
        """Every resource embedded under ``rel`` across pages, following ``next``."""
        items = self.embedded(first, rel)
        page = first
        while "next" in page["_links"]:
            page = await self.get(self.href(page, "next"))
            items += self.embedded(page, rel)
        return items

    def leaks(self, upstream_url: str) -> list[str]:
        """Answers that showed the upstream's host and port."""
        netloc = urlsplit(upstream_url).netloc
        return [text[:200] for text in self.seen if netloc in text]
