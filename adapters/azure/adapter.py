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

Credentials (:mod:`adapters.azure.login`): a fixed bearer ``token``, or ``client_id`` and
``client_secret`` of a client-credentials login (they take precedence when both are
set), for everybody; and each gateway user's own, either way, in
``[backends.<name>.users.<user>]``. The connector's reference documents no way to say
who acts beyond the credentials themselves, so a user's own credentials are what
makes their calls theirs upstream.

In the unified view the videos are assets (:mod:`adapters.azure.unified`); the
connector has no collections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from aiohttp import web

from adapters.azure import errors, login, relations
from adapters.azure.forms import PROTECTION_MODES
from adapters.azure.unified import SEARCH_METHOD, UnifiedVideos
from adapters.azure.uploads import MEDIA_TYPES, Uploads
from adapters.azure.videos import Videos
from gateway.spi import (
    JSON_TYPES,
    PAGING,
    UPLOAD_NAME,
    Adapter,
    AssetPage,
    AssetQuery,
    BackendConfig,
    Field,
    QueryParam,
    RegistryEntry,
    RelationDoc,
    Route,
    UnifiedAsset,
    UpstreamAuth,
    UpstreamClient,
    UpstreamFault,
    hal,
    http_url,
    plain,
)

_PROTECTION: Final = QueryParam(
    "protection",
    description="how the video is protected when streamed (None when left out)",
    enum=PROTECTION_MODES,
)


def _token_url(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("/"):
        return None
    return http_url(value)


class AzureAdapter(Adapter):
    """An Azure Media Services Connector."""

    kind = "azure"
    curie = "azure"
    description = "Azure Media Services Connector: upload, encode, play back"
    user_fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "token",
            str,
            "Fixed bearer token of the connector API (or client_id and client_secret).",
            secret=True,
        ),
        Field("client_id", str, "Client id of the client-credentials login."),
        Field("client_secret", str, "Client secret of the client-credentials login.", secret=True),
    )
    config_fields: ClassVar[tuple[Field, ...]] = (
        *user_fields,
        Field(
            "token_url",
            str,
            "Token endpoint of the client-credentials login: a path on the connector, "
            "or an absolute URL.",
            default=login.ENDPOINT,
            check=_token_url,
        ),
    )
    search_method = SEARCH_METHOD
    offers_collections = False

    def __init__(self, backend: BackendConfig, client: UpstreamClient) -> None:
        super().__init__(backend, client)
        self._pending: set[asyncio.Task[Any]] = set()
        self.unified = UnifiedVideos(self)

    def keep(self, task: asyncio.Task[Any]) -> None:
        """Hold a background ``task`` (a clean-up deletion) until it is done or shutdown."""
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        """Let running clean-up deletions finish; each is bounded by the backend's timeout."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        """A token, or both halves of the client credentials."""
        return login.problems(options)

    @classmethod
    def upstream_auth(cls, backend: BackendConfig) -> UpstreamAuth:
        """The client-credentials login when configured, else the fixed token."""
        return login.strategy(backend.name, backend.options, prefer_token=False)

    @classmethod
    def check_user_options(
        cls, own: Mapping[str, Any], merged: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """The user's own table gives a token, or both ``client_id`` and ``client_secret``.

        Never half a client with the service's other half: that login would be the
        service's (or nobody's), not the user's.
        """
        return login.user_problems(own)

    @classmethod
    def user_auth(cls, backend: BackendConfig, user: str) -> UpstreamAuth:
        """The way of logging in that the user's own keys name: a client, else a token.

        The user's keys override the service's of the same name only, so a user with a
        token of their own on a backend whose service logs in as a client (or the other
        way round) sees both ways in the merged keys: their own decides. The config
        check saw to it that the way they name is wholly theirs.
        """
        own = backend.users[user]
        as_client = bool(plain(own.get("client_id")))
        options = backend.credentials_of(user).options
        return login.strategy(backend.name, options, prefer_token=not as_client)

    @staticmethod
    def read_upstream_error(status: int, content_type: str, body: bytes) -> UpstreamFault:
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
            Route("GET", "/videos", videos.list, query=PAGING),
            # JSON creates the video (201); media bytes are uploaded in one step (202).
            Route(
                "POST",
                "/videos",
                uploads.post,
                consumes=(*MEDIA_TYPES, *JSON_TYPES),
                stream=True,
                query=(UPLOAD_NAME, _PROTECTION),
                answers=(201, 202),
            ),
            # 304 to an If-None-Match that names the video's ETag.
            Route("GET", one, videos.show, answers=(200, 304)),
            Route("DELETE", one, videos.delete),
            Route(
                "PUT",
                one + "/upload",
                uploads.put,
                consumes=MEDIA_TYPES,
                stream=True,
                answers=(204,),
            ),
            Route("POST", one + "/complete", videos.complete, consumes=None, answers=(202,)),
            # A redirect: players ask with their own Accept, which must not be refused.
            Route("GET", one + "/playback/{type}", videos.playback, produces=(), answers=(307,)),
            Route("GET", one + "/thumbnails", videos.thumbnails),
            Route("GET", one + "/authorization-token", videos.authorization_token),
            Route("GET", "/formats", videos.formats),
        )

    # -- unified assets (adapters.azure.unified); the connector has no collections ------

    async def list_assets(self, query: AssetQuery) -> AssetPage:
        """Videos whose file name holds the words of ``q``, by file name."""
        return await self.unified.assets(query)

    async def get_asset(self, native_id: str) -> UnifiedAsset:
        """One video as an asset."""
        return await self.unified.asset(native_id)
