"""A simulator of the Azure Media Services Connector API, its blob storage and streaming.

The connector's authentication scheme is not documented publicly; the simulator accepts
one configured bearer token (``Authorization: Bearer <token>``) with full rights, plus
optional read-only tokens, plus access tokens of its OAuth 2.0 client-credentials
endpoint ``POST /oauth2/token`` for registered clients
(:mod:`adapters.azure.simulator.token_endpoint`); those expire after ``token_ttl_s`` by
the simulator's ``clock``. The shapes the
reference leaves open (status values, the Status, PlaybackEndpoint, AuthorizationToken
and Formats bodies, error bodies) are decided in :mod:`adapters.azure.simulator.api`.

One server plays three hosts: the API under ``/api``, the storage that a video's
``UploadUri`` points at under ``/storage`` (a signed, expiring upload token in the query,
see :mod:`adapters.azure.simulator.storage`), and the streaming endpoint under ``/media``.

A video's life, as ``GET /api/Videos/{id}/Status`` reports it::

    Uploading ──MarkComplete──► Encoding (Progress 0..99) ──► Ready (Progress 100)
                                                         └──► Failed (Message says why)

``POST /api/Videos`` creates it in ``Uploading`` with an ``UploadUri``; the file is PUT
there; ``MarkComplete`` (202; 409 before a file arrived) starts encoding, which takes
``encoding_duration_s`` (progress grows with the time since) or, with ``None``, lasts
until :meth:`AzureSimulator.finish_encoding` ends it. An empty file fails to encode.
Playback URLs answer 409 until the video is ready; thumbnails appear once it is.

Statuses, as the reference's table has them: 200, 201 (created), 202 (MarkComplete),
204 (deleted), 304 (``If-None-Match`` names the video's ``ETag``), 400 (invalid body,
query or endpoint type; an authorization token for a clear video), 401 (no, wrong or expired
token), 403 (a read-only token that writes; storage: an expired or altered upload token),
404, 405, 406 (an ``Accept`` without JSON), 409 (the state forbids it: playback before
ready, MarkComplete twice, deleting while encoding), 412 (``If-Match`` fails on DELETE or
MarkComplete), 413 (storage: over ``max_blob_bytes``), 414 (URI over 2048 bytes), 415
(a body that is not JSON), 500 and 503 through the fault options.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from adapters.azure.simulator import api, storage, streaming, token_endpoint
from adapters.azure.simulator.plumbing import api_middleware
from adapters.azure.simulator.seed import seed as seed_account
from adapters.azure.simulator.state import (
    ENCODING,
    STATE,
    AzureState,
    SimConfig,
    StorageFault,
    StoredFile,
)
from gateway.spi import BackendConfig, Simulator, plain

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_TOKEN",
    "AzureSimulator",
    "StorageFault",
    "StoredFile",
]

DEFAULT_TOKEN = "azure-demo-token"
DEFAULT_CLIENT_ID = "azure-demo-client"
DEFAULT_CLIENT_SECRET = "azure-demo-client-secret"
# Azure Blob storage takes up to 5000 MiB in one Put Blob.
MAX_BLOB_BYTES = 5000 * 1024 * 1024
_JSON_BODY_LIMIT = 1024 * 1024


class AzureSimulator(Simulator):
    """The connector API, its upload storage and its streaming endpoint.

    ``token`` is the bearer token with full rights (None: there is none), ``full_tokens``
    are more of them, ``read_only_tokens`` may only read. ``clients`` maps the client ids
    of the token endpoint to their secrets (default: :data:`DEFAULT_CLIENT_ID`); the
    access tokens it issues have full rights for ``token_ttl_s`` seconds by ``clock``
    (epoch seconds).
    ``encoding_duration_s`` is how long encoding takes (``None``: until a test ends it);
    ``upload_token_ttl_s`` and ``authorization_token_ttl_s`` how long upload URLs and
    playback tokens stay valid; ``storage_fault`` makes the storage fail uploads;
    ``max_blob_bytes`` is the largest file the storage takes; ``lose_completion_answers``
    makes ``MarkComplete`` start encoding and then drop the connection, as an answer lost
    on the way does. With ``seed`` the account starts with a few encoded videos
    (:mod:`adapters.azure.simulator.seed`); without, it starts empty. Uploaded files live in a
    temporary folder made by :meth:`start` and removed by :meth:`close`. Fault options
    (``latency_s``, ``fail_status``, ``drop_connections``) go to
    :class:`~gateway.spi.simulator.Simulator`.
    """

    kind: ClassVar[str] = "azure"

    def __init__(
        self,
        *,
        token: str | None = DEFAULT_TOKEN,
        full_tokens: Iterable[str] = (),
        read_only_tokens: Iterable[str] = (),
        clients: Mapping[str, str] | None = None,
        token_ttl_s: int = 3600,
        clock: Callable[[], float] = time.time,
        encoding_duration_s: float | None = 2.0,
        upload_token_ttl_s: float = 3600.0,
        authorization_token_ttl_s: float = 3600.0,
        storage_fault: StorageFault | None = None,
        max_blob_bytes: int = MAX_BLOB_BYTES,
        lose_completion_answers: bool = False,
        seed: bool = True,
        **faults: Any,
    ) -> None:
        super().__init__(**faults)
        self.seed = seed
        self.config = SimConfig(
            token=token,
            full_tokens=frozenset(full_tokens),
            read_only_tokens=frozenset(read_only_tokens),
            encoding_duration_s=encoding_duration_s,
            upload_token_ttl_s=upload_token_ttl_s,
            authorization_token_ttl_s=authorization_token_ttl_s,
            storage_fault=storage_fault,
            max_blob_bytes=max_blob_bytes,
            lose_completion_answers=lose_completion_answers,
        )
        self.issuer = token_endpoint.TokenIssuer(
            clients=dict(clients)
            if clients is not None
            else {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET},
            ttl_s=token_ttl_s,
            clock=clock,
        )
        self._folder: Path | None = None
        self._state: AzureState | None = None

    @property
    def token(self) -> str | None:
        """The fixed bearer token with full rights, if there is one."""
        return self.config.token

    @property
    def storage_folder(self) -> Path:
        """The temporary folder holding uploaded files; only while serving."""
        if self._folder is None:
            raise RuntimeError("simulator not started")
        return self._folder

    @property
    def state(self) -> AzureState:
        """The videos and their files; only while serving."""
        if self._state is None:
            raise RuntimeError("simulator not started")
        return self._state

    def failure_response(self, status: int) -> web.StreamResponse:
        """Simulated failures in the service's shape: ``{"Message": ...}``."""
        return web.json_response({"Message": f"Simulated failure {status}."}, status=status)

    def build_app(self) -> web.Application:
        """A fresh application holding the seeded videos, or none without ``seed``."""
        if self._folder is None:
            raise RuntimeError("build_app needs the storage folder that start makes")
        self._state = AzureState(self.config, self._folder)
        if self.seed:
            seed_account(self._state)
        app = web.Application(middlewares=[api_middleware], client_max_size=_JSON_BODY_LIMIT)
        app[STATE] = self._state
        app[token_endpoint.ISSUER] = self.issuer
        token_endpoint.add_routes(app.router)
        api.add_routes(app.router)
        storage.add_routes(app.router)
        streaming.add_routes(app.router)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Make the storage folder, then serve."""
        if self._folder is not None:
            raise RuntimeError("simulator already started")
        self._folder = Path(tempfile.mkdtemp(prefix="azure-simulator-"))
        try:
            return await super().start(host, port)
        except BaseException:
            self._remove_folder()
            raise

    async def close(self) -> None:
        """Stop serving and remove the storage folder with every uploaded file."""
        if self._state is not None:
            self._state.closing.set()
        await super().close()
        self._remove_folder()

    def _remove_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    # -- what tests and benchmarks look at or drive ---------------------------------

    def stored_file(self, video_id: str) -> StoredFile | None:
        """The file that reached storage for ``video_id`` (size and MD5), if one did."""
        video = self.state.videos.get(video_id)
        return video.stored if video is not None else None

    def video_ids(self) -> list[str]:
        """The ids of every video the service holds, oldest first."""
        return list(self.state.videos)

    def created_by(self, video_id: str) -> str | None:
        """The client whose access token created ``video_id``; None for the fixed token."""
        return self.state.videos[video_id].client

    def token_requests(self, client_id: str) -> int:
        """How many access tokens the token endpoint issued to ``client_id``."""
        return self.issuer.requests[client_id]

    def finish_encoding(
        self, video_id: str, *, failed: bool = False, message: str | None = None
    ) -> None:
        """End an encoding now: Ready, or Failed with ``message``."""
        video = self.state.videos[video_id]
        if video.state != ENCODING:
            raise RuntimeError(f"video {video_id} is {video.state}, not encoding")
        video.finish(failed=failed, message=message)

    def delete_after_status(self, video_id: str) -> None:
        """Delete the video right after its next Status answer, as another client might
        between a reader's calls: its record then answers 404."""
        if video_id not in self.state.videos:
            raise KeyError(video_id)
        self.state.vanishing.add(video_id)

    def set_encoding_progress(self, video_id: str, percent: int) -> None:
        """Move an encoding (of a simulator without a duration) to ``percent``."""
        video = self.state.videos[video_id]
        if video.state != ENCODING:
            raise RuntimeError(f"video {video_id} is {video.state}, not encoding")
        video.progress = max(0, min(99, percent))

    # -- command line ---------------------------------------------------------------

    @classmethod
    def for_backend(cls, backend: BackendConfig) -> AzureSimulator:
        """A simulator that takes every configured token and client.

        The service's fixed token, if any, is the simulator's; every client (the
        service's and the users', each with the first secret configured for it) may log
        in at its token endpoint; the users' own fixed tokens are taken too.
        """
        tables = [backend.options, *(backend.credentials_of(u).options for u in backend.users)]
        tokens = [plain(t.get("token")) for t in tables if plain(t.get("token"))]
        clients: dict[str, str] = {}
        for t in tables:
            client_id, secret = plain(t.get("client_id")), plain(t.get("client_secret"))
            if client_id and secret:
                # One secret per client, as at a real token endpoint: the first named.
                clients.setdefault(client_id, secret)
        return cls(
            token=plain(backend.options.get("token")) or None,
            full_tokens=tokens,
            clients=clients,
        )

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Token, clients, read-only tokens, encoding time, token lives, latency."""
        super().add_arguments(parser)
        parser.add_argument("--token", default=DEFAULT_TOKEN, help="bearer token to accept")
        parser.add_argument(
            "--client",
            action="append",
            default=[],
            metavar="ID=SECRET",
            help="a client of the token endpoint (repeatable); replaces the demonstration one",
        )
        parser.add_argument(
            "--access-token-ttl",
            type=int,
            default=3600,
            metavar="SECONDS",
            help="how long an access token of the token endpoint stays valid",
        )
        parser.add_argument(
            "--read-only-token",
            action="append",
            default=[],
            metavar="TOKEN",
            help="a bearer token that may only read (repeatable)",
        )
        parser.add_argument(
            "--encoding-seconds",
            type=float,
            default=2.0,
            metavar="SECONDS",
            help="how long encoding a video takes",
        )
        parser.add_argument(
            "--empty", action="store_true", help="start with no videos instead of the seed"
        )
        parser.add_argument(
            "--upload-token-ttl",
            type=float,
            default=3600.0,
            metavar="SECONDS",
            help="how long a video's UploadUri stays valid",
        )

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> AzureSimulator:
        """A simulator configured from :meth:`add_arguments`' options."""
        clients = dict(_client(raw) for raw in args.client) or None
        return cls(
            token=args.token,
            read_only_tokens=args.read_only_token,
            clients=clients,
            token_ttl_s=args.access_token_ttl,
            encoding_duration_s=args.encoding_seconds,
            upload_token_ttl_s=args.upload_token_ttl,
            latency_s=args.latency,
            seed=not args.empty,
        )


def _client(raw: str) -> tuple[str, str]:
    client_id, sep, secret = raw.partition("=")
    if not sep or not client_id:
        raise SystemExit(f"--client takes ID=SECRET, got {raw!r}")
    return client_id, secret
