"""The Azure Media Services Connector backend: upload, encode and play back videos, as HAL.

Gateway paths under ``/backends/<name>``::

    /videos                               GET list; POST media bytes (one-step upload, 202)
                                          or JSON (create for a stepwise upload, 201)
    /videos/{id}                          GET (ETag, If-None-Match), DELETE (If-Match)
    /videos/{id}/upload                   PUT the media bytes (stepwise upload, 204)
    /videos/{id}/complete                 POST when uploaded (202)
    /videos/{id}/playback/{type}          GET: 307 to the streaming URL
    /videos/{id}/thumbnails               GET
    /videos/{id}/authorization-token      GET (AES128 videos)
    /formats                              GET the input formats
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

from aiohttp import web

from adapters.azure import errors, relations
from adapters.azure.simulator import AzureSimulator
from adapters.azure.uploads import MEDIA_TYPES, Uploads
from adapters.azure.videos import Videos
from adapters.base import Adapter, RegistryEntry, RelationDoc, Route
from gateway import hal
from gateway.config import BackendConfig
from gateway.routing import JSON_TYPES
from gateway.schema import Field
from gateway.upstream import StaticHeaders, UpstreamAuth, UpstreamClient, UpstreamFault


class AzureAdapter(Adapter):
    """An Azure Media Services Connector."""

    kind = "azure"
    curie = "azure"
    description = "Azure Media Services Connector: upload, encode, play back"
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field("token", str, "Bearer token of the connector API.", required=True, secret=True),
    )
    simulator_class = AzureSimulator

    def __init__(self, backend: BackendConfig, client: UpstreamClient) -> None:
        super().__init__(backend, client)
        self._pending: set[asyncio.Task[Any]] = set()

    def keep(self, task: asyncio.Task[Any]) -> None:
        """Hold a background ``task`` (a clean-up deletion) until it is done or shutdown."""
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        """Let running clean-up deletions finish; each is bounded by the backend's timeout."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    @classmethod
    def upstream_auth(cls, backend: BackendConfig) -> UpstreamAuth:
        """The configured bearer token; the connector refusing it is the gateway's fault (503)."""
        return StaticHeaders(
            {"Authorization": f"Bearer {backend.options['token'].reveal()}"}, refusals=(401,)
        )

    @classmethod
    def create_simulator(cls, backend: BackendConfig) -> AzureSimulator:
        """A simulator that accepts the configured token."""
        return AzureSimulator(token=backend.options["token"].reveal())

    def read_upstream_error(self, status: int, content_type: str, body: bytes) -> UpstreamFault:
        """The connector's ``{"Message": ...}`` and its storage's XML errors."""
        return errors.read_error(status, content_type, body)

    async def probe(self) -> None:
        """The formats list answers for the configured token."""
        await self.client.request("GET", "/api/Formats")

    def relations(self) -> Sequence[RelationDoc]:
        """The ``azure:`` relations."""
        return relations.RELATIONS

    def registry_entries(self) -> Sequence[RegistryEntry]:
        """CTMS entries: videos as assets, plus the connector's services and playback."""
        return (
            RegistryEntry("aa:assets", relations.VIDEOS, templated=True),
            RegistryEntry("aa:asset-by-id", relations.VIDEO, templated=True),
            RegistryEntry("azure:videos", relations.VIDEOS, templated=True),
            RegistryEntry("azure:video", relations.VIDEO, templated=True),
            RegistryEntry("azure:formats", relations.FORMATS),
            RegistryEntry("azure:playback", relations.PLAYBACK, templated=True),
        )

    async def service_root(self, request: web.Request, base: str) -> hal.Resource:
        """The backend root, linking videos and formats."""
        root = await super().service_root(request, base)
        href = self.hrefs(request)
        root.link("azure:videos", href(relations.VIDEOS), templated=True, title="Videos")
        root.link("azure:video", href(relations.VIDEO), templated=True, title="One video")
        root.link("azure:formats", href(relations.FORMATS), title="Input formats")
        return root

    def routes(self) -> Sequence[Route]:
        """Every connector resource the gateway serves."""
        videos = Videos(self)
        uploads = Uploads(self, videos)
        one = "/videos/{id}"
        return (
            Route("GET", "/videos", videos.list),
            Route(
                "POST", "/videos", uploads.post, consumes=(*MEDIA_TYPES, *JSON_TYPES), stream=True
            ),
            Route("GET", one, videos.show),
            Route("DELETE", one, videos.delete),
            Route("PUT", one + "/upload", uploads.put, consumes=MEDIA_TYPES, stream=True),
            Route("POST", one + "/complete", videos.complete, consumes=None),
            # A redirect: players ask with their own Accept, which must not be refused.
            Route("GET", one + "/playback/{type}", videos.playback, produces=()),
            Route("GET", one + "/thumbnails", videos.thumbnails),
            Route("GET", one + "/authorization-token", videos.authorization_token),
            Route("GET", "/formats", videos.formats),
        )
