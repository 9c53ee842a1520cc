"""State of the Azure connector simulator: videos, their encoding state machine, signed tokens.

A video moves ``Uploading`` → ``Encoding`` → ``Ready`` or ``Failed``. Encoding progress is
computed when the video is read: from the time since ``MarkComplete`` when the simulator
has an encoding duration, else only when a test drives it (see
:meth:`adapters.azure.simulator.AzureSimulator.finish_encoding`). Upload URLs and
authorization tokens are signed with a key of the simulator instance and carry their
expiry, so an expired or altered token is recognised without any record of issued tokens.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from aiohttp import web

Json = dict[str, Any]
State = Literal["Uploading", "Encoding", "Ready", "Failed"]

UPLOADING: Final = "Uploading"
ENCODING: Final = "Encoding"
READY: Final = "Ready"
FAILED: Final = "Failed"
PROTECTION_MODES: Final = ("None", "AES128")
STORAGE_ENCRYPTION_MODES: Final = ("", "AES256")
ENDPOINT_TYPES: Final = ("Streaming", "HLS", "DASH", "Progressive")
THUMBNAILS_PER_VIDEO: Final = 3
_BYTES_PER_SECOND: Final = 125_000  # the simulated media plays at 1 Mbit/s


def now() -> datetime:
    """The current time, UTC, to the second (as the service's timestamps are)."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """``2016-07-13T10:00:00Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime | None:
    """The moment of an :func:`iso` string; None when it is not one."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class StoredFile:
    """The bytes that reached storage for one video: where, how many, their MD5."""

    path: Path
    size: int
    md5: str
    """Hex digest of the stored bytes."""


@dataclass(frozen=True, slots=True)
class StorageFault:
    """A failing storage: after ``after_bytes`` bytes it answers 500 (``error``), drops
    the connection (``drop``), keeps bytes that differ from those sent (``corrupt``), or
    takes them all and answers only once the simulator closes (``stall``)."""

    kind: Literal["error", "drop", "corrupt", "stall"]
    after_bytes: int = 0


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Per-instance settings of one simulator."""

    token: str | None = field(repr=False)
    """The fixed bearer token with full rights; None: access tokens only."""
    read_only_tokens: frozenset[str] = field(repr=False)
    encoding_duration_s: float | None
    upload_token_ttl_s: float
    authorization_token_ttl_s: float
    storage_fault: StorageFault | None
    max_blob_bytes: int
    lose_completion_answers: bool = False
    """``MarkComplete`` starts encoding, then drops the connection instead of answering."""
    full_tokens: frozenset[str] = field(default=frozenset(), repr=False)
    """More fixed bearer tokens with full rights (gateway users' own, say)."""

    def full_rights(self, token: str) -> bool:
        """Whether ``token`` is one of the fixed tokens with full rights."""
        fixed = [self.token, *self.full_tokens]
        # Compare with every one, in constant time each: no early answer to time.
        return any([hmac.compare_digest(token, t) for t in fixed if t is not None])


@dataclass(slots=True)
class Video:
    """One video and where it is in its life."""

    id: str
    filename: str
    protection: str
    storage_encryption: str
    upload_expires: datetime
    created: datetime = field(default_factory=now)
    modified: datetime = field(default_factory=now)
    key_id: str | None = None
    content_key: bytes = field(default=b"", repr=False)
    state: State = UPLOADING
    stored: StoredFile | None = None
    encoding_started: float | None = None
    progress: int = 0
    message: str | None = None
    client: str | None = None
    """The client whose access token created the video; None for the fixed token."""
    media_s: float | None = None
    """Seconds of media of a seeded video, whose stored file is only a stand-in."""

    @property
    def duration_s(self) -> float | None:
        """Seconds of media once encoded (derived from the stored size unless seeded)."""
        if self.state != READY or self.stored is None:
            return None
        if self.media_s is not None:
            return self.media_s
        return round(self.stored.size / _BYTES_PER_SECOND, 3)

    def start_encoding(self) -> None:
        """What ``MarkComplete`` does: the upload is over, encoding begins."""
        self.state = ENCODING
        self.encoding_started = time.monotonic()
        self.progress = 0
        self.modified = now()

    def settle(self, encoding_duration_s: float | None) -> None:
        """Bring a time-driven encoding up to date."""
        if self.state != ENCODING or encoding_duration_s is None:
            return
        assert self.encoding_started is not None
        elapsed = time.monotonic() - self.encoding_started
        if elapsed >= encoding_duration_s:
            self.finish(failed=False)
        else:
            self.progress = min(99, int(elapsed / encoding_duration_s * 100))

    def finish(self, *, failed: bool, message: str | None = None) -> None:
        """End encoding: Ready, or Failed with a reason (an empty file always fails)."""
        if self.stored is not None and self.stored.size == 0 and not failed:
            failed, message = True, "The uploaded file is empty."
        self.state = FAILED if failed else READY
        self.progress = 100 if not failed else self.progress
        self.message = (message or "Encoding failed.") if failed else None
        self.modified = now()

    def etag(self) -> str:
        """A strong validator that changes with every visible change, status included."""
        facts = [self.id, self.filename, self.state, self.progress, iso(self.modified)]
        digest = hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:20]
        return f'"{digest}"'


class Signer:
    """Signs and checks upload URLs and authorization tokens with one secret key."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __repr__(self) -> str:
        return "Signer()"  # never the key

    def sign(self, *parts: str) -> str:
        """A URL-safe signature of ``parts``."""
        mac = hmac.new(self._key, "\n".join(parts).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def valid(self, signature: str, *parts: str) -> bool:
        """True when ``signature`` signs ``parts``."""
        return hmac.compare_digest(signature, self.sign(*parts))

    def token(self, video: Video, ttl_s: float) -> str:
        """An authorization token for the content key of ``video``: ``payload.signature``."""
        expires = int(time.time() + ttl_s)
        payload = json.dumps({"vid": video.id, "kid": video.key_id, "exp": expires})
        body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{body}.{self.sign('token', body)}"

    def token_video(self, token: str) -> str | None:
        """The video an unexpired, well-signed token is for; None otherwise."""
        body, _, signature = token.partition(".")
        if not signature or not self.valid(signature, "token", body):
            return None
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if not isinstance(data, dict) or int(data.get("exp", 0)) <= time.time():
            return None
        return str(data.get("vid"))


@dataclass(slots=True)
class AzureState:
    """Everything one simulator instance stores."""

    config: SimConfig
    folder: Path
    signer: Signer = field(default_factory=Signer)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the simulator closes; stalled answers end then."""
    videos: dict[str, Video] = field(default_factory=dict)
    vanishing: set[str] = field(default_factory=set)
    """Videos deleted right after their next Status answer, as by a client in between."""

    def create(
        self, filename: str, protection: str, storage_encryption: str, client: str | None = None
    ) -> Video:
        """A new video, waiting for its upload; ``client`` is who asked for it."""
        video = Video(
            id=str(uuid.uuid4()),
            filename=filename,
            protection=protection,
            storage_encryption=storage_encryption,
            upload_expires=now() + timedelta(seconds=self.config.upload_token_ttl_s),
            client=client,
        )
        if protection == "AES128":
            video.key_id = f"nb:kid:UUID:{uuid.uuid4()}"
            video.content_key = secrets.token_bytes(16)
        self.videos[video.id] = video
        return video

    def get(self, video_id: str) -> Video:
        """The video, its encoding brought up to date; 404 when there is none."""
        video = self.videos.get(video_id)
        if video is None:
            raise ApiError(404, f"No video with ID '{video_id}' was found.")
        video.settle(self.config.encoding_duration_s)
        return video

    def listing(self) -> list[Video]:
        """Every video, oldest first, encodings up to date."""
        for video in self.videos.values():
            video.settle(self.config.encoding_duration_s)
        return list(self.videos.values())

    def remove(self, video: Video) -> None:
        """Forget ``video`` and delete its stored file."""
        self.videos.pop(video.id, None)
        if video.stored is not None:
            video.stored.path.unlink(missing_ok=True)

    def blob_path(self, video: Video) -> Path:
        """Where the stored file of ``video`` lives."""
        return self.folder / f"{video.id}.blob"

    def upload_path(self, video: Video) -> str:
        """The storage path of the video's blob (container per video, as the service does)."""
        return f"/storage/asset-{video.id}/{video.id}.blob"

    def upload_query(self, video: Video) -> dict[str, str]:
        """The signed query of the video's upload URL (Azure Storage SAS parameters)."""
        expiry = iso(video.upload_expires)
        return {
            "sv": "2015-07-08",
            "sr": "b",
            "sp": "w",
            "se": expiry,
            "sig": self.signer.sign(self.upload_path(video), expiry),
        }


class ApiError(Exception):
    """Ends an API request with ``status`` and the service's ``{"Message": ...}`` body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The HTTP answer this error stands for."""
        return web.json_response(
            {"Message": self.message}, status=self.status, headers=self.headers
        )


STATE = web.AppKey("azure_state", AzureState)
