"""A HAL client for the suite: starts at ``GET /`` and follows links by relation name.

Tests never build gateway URLs; they navigate as a frontend does. Every answer (body
and headers) is kept in ``seen``, so a test can check that nothing of an upstream's
address reached the client.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.test_utils import TestClient
from yarl import URL

from gateway.web import hal

HAL = "application/hal+json"
HAL_FORMS = "application/prs.hal-forms+json"
PROBLEM = "application/problem+json"
Doc = dict[str, Any]


class Navigator:
    """Follows links by relation from the gateway root, as a HAL client does.

    ``backend_name`` is the backend :meth:`backend` goes to when not told otherwise.
    """

    def __init__(self, client: TestClient[Any, Any], backend_name: str | None = None) -> None:
        self.client = client
        self.session: aiohttp.ClientSession = client.session
        self.backend_name = backend_name
        self.seen: list[str] = []

    @property
    def base(self) -> str:
        """The gateway's base URL."""
        return str(self.client.make_url("")).rstrip("/")

    async def request(
        self, method: str, href: str | URL, **kwargs: Any
    ) -> tuple[aiohttp.ClientResponse, Any]:
        """Send a request to an absolute href; the body decoded when it is JSON, else bytes."""
        async with self.session.request(method, href, **kwargs) as response:
            raw = await response.read()
            headers = json.dumps([[k, v] for k, v in response.headers.items()])
            self.seen.append(raw.decode("utf-8", "replace") + headers)
            body: Any = raw
            if response.content_type in (HAL, HAL_FORMS, PROBLEM, "application/json"):
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

    async def root(self) -> Doc:
        """The gateway root."""
        return await self.get(self.base + "/")

    async def backend(self, name: str | None = None) -> Doc:
        """The root of backend ``name`` (default: ``backend_name``), reached from the root."""
        which = name or self.backend_name
        assert which is not None, "which backend?"
        return await self.follow(await self.root(), "gw:backend", which)

    @staticmethod
    def link(doc: Doc, rel: str, which: str | None = None) -> dict[str, Any]:
        """The link of ``rel`` (the one whose ``name`` is ``which``, when given)."""
        value = doc["_links"][rel]
        links = value if isinstance(value, list) else [value]
        for link in links:
            if which is None or link.get("name") == which:
                assert isinstance(link, dict)
                return link
        raise AssertionError(f"no link {rel} named {which}")

    @classmethod
    def href(cls, doc: Doc, rel: str, which: str | None = None, **variables: Any) -> str:
        """The href of ``rel``, expanded with ``variables`` when it is a template."""
        link = cls.link(doc, rel, which)
        if link.get("templated"):
            return hal.expand(link["href"], **variables)
        assert not variables, f"{rel} is not templated"
        return str(link["href"])

    async def follow(self, doc: Doc, rel: str, which: str | None = None, **variables: Any) -> Doc:
        """The document ``rel`` leads to."""
        return await self.get(self.href(doc, rel, which, **variables))

    @staticmethod
    def embedded(doc: Doc, rel: str) -> list[Doc]:
        """The resources embedded under ``rel``."""
        value = doc.get("_embedded", {}).get(rel, [])
        return value if isinstance(value, list) else [value]

    async def pages(self, first: Doc, rel: str) -> list[Doc]:
        """Every resource embedded under ``rel`` across pages, following ``next``."""
        items = self.embedded(first, rel)
        page = first
        while "next" in page["_links"]:
            page = await self.get(self.href(page, "next"))
            items += self.embedded(page, rel)
        return items

    async def registered(self, rel: str, system: str, **variables: Any) -> str:
        """The registry's href of ``rel`` for ``system``, its template expanded."""
        registry = await self.follow(await self.root(), "registry:serviceroots")
        entry = next(
            e
            for e in registry["resources"][rel]
            if any(s["systemID"] == system for s in e["systems"])
        )
        href = str(entry["href"])
        return hal.expand(href, **variables) if entry["templated"] else href

    def leaks(self, upstream_url: str) -> list[str]:
        """Answers that showed the upstream's host and port."""
        netloc = urlsplit(upstream_url).netloc
        return [text[:200] for text in self.seen if netloc in text]
