"""The suite's HAL client, going to the Azure backend unless told otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from adapters.azure.simulator import AzureSimulator
from tests.support.navigator import HAL, PROBLEM, Doc
from tests.support.navigator import Navigator as BaseNavigator

__all__ = ["HAL", "POLLS", "PROBLEM", "Doc", "Navigator"]

POLLS = 5000
"""Most reads of a video while waiting for its encoding to end."""


class Navigator(BaseNavigator):
    """Follows relations from the root; the backend is ``azure`` by default."""

    def __init__(self, client: TestClient[Any, Any], backend_name: str = "azure") -> None:
        super().__init__(client, backend_name)

    async def registered(self, rel: str, system: str = "azure", **variables: Any) -> str:
        """The registry's href of ``rel`` for ``system``, its template expanded."""
        return await super().registered(rel, system, **variables)

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

    async def encoded(self, video: Doc, simulator: AzureSimulator) -> Doc:
        """The video once ``simulator`` has ended its encoding, as ``self`` shows it."""
        simulator.finish_encoding(video["id"])
        ready = await self.follow(video, "self")
        assert ready["status"] == "Ready", ready
        return ready

    async def until_ready(self, video: Doc) -> tuple[Doc, list[tuple[str, Any]]]:
        """Follow ``self`` until a time-driven encoding is over; also every state seen."""
        seen: list[tuple[str, Any]] = []
        for _ in range(POLLS):
            video = await self.follow(video, "self")
            seen.append((video["status"], video["progress"]))
            if video["status"] in ("Ready", "Failed"):
                return video, seen
        raise AssertionError(f"still {video['status']} after {POLLS} reads")

    async def videos(self) -> list[Doc]:
        """Every video the backend lists, page after page."""
        first = await self.follow(await self.backend(), "azure:videos", per_page=50)
        return await self.pages(first, "azure:video")
