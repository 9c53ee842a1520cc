"""The suite's HAL client, going to the Flex backend ``mam`` and keeping every JSON document."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from yarl import URL

from tests.support.navigator import HAL, PROBLEM, Doc
from tests.support.navigator import Navigator as BaseNavigator

__all__ = ["HAL", "PROBLEM", "XML", "Doc", "Navigator"]

XML = "application/xml"


class Navigator(BaseNavigator):
    """The suite's HAL client, going to the ``mam`` backend; keeps every JSON document."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        super().__init__(client, "mam")
        self.documents: list[Any] = []

    async def request(
        self, method: str, href: str | URL, **kwargs: Any
    ) -> tuple[aiohttp.ClientResponse, Any]:
        response, body = await super().request(method, href, **kwargs)
        if response.content_type in (HAL, PROBLEM, "application/json"):
            self.documents.append(body)
        return response, body

    async def asset(self, name: str) -> Doc:
        backend = await self.backend()
        found = await self.follow(backend, "flex:assets", name=name)
        matches = [a for a in found["_embedded"]["flex:asset"] if a["name"] == name]
        assert len(matches) == 1, found
        return await self.follow(matches[0], "self")
