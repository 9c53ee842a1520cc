"""The seed of the Azure connector simulator: a small account of videos, already encoded.

Each seeded video is what a finished upload leaves: ``Ready``, its file in storage
(a short stand-in: the media's length is recorded with it, not derived from its size,
so the seed costs no disk), thumbnails and playback URLs like any other. One is
AES128-protected. Ids are fixed, so a demonstration can name them; every simulator
instance gets its own copies.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Final

from adapters.azure.simulator.state import READY, AzureState, StoredFile, Video

# (ID, OriginalFileName, ContentProtectionMode, seconds of media, uploaded)
_VIDEOS: Final = (
    (
        "3f9d2c1a-5b7e-4c8d-9a01-6e2f4b8c0d11",
        "customer-interview-contoso.mp4",
        "None",
        95.04,
        "2016-07-11T09:15:00",
    ),
    (
        "8a1e4d6b-2c3f-4e5a-b7c9-0d1e2f3a4b22",
        "product-launch-keynote.mp4",
        "None",
        1804.5,
        "2016-07-12T17:40:00",
    ),
    (
        "c5b7a9d3-1e2f-4a6b-8c0d-9e8f7a6b5c33",
        "Interview with the lead architect.mov",
        "AES128",
        312.48,
        "2016-07-13T11:02:00",
    ),
    (
        "e2d4f6a8-9b1c-4d3e-a5f7-1b3c5d7e9f44",
        "office-tour-timelapse.mp4",
        "None",
        42.0,
        "2016-07-13T15:30:00",
    ),
)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def seed(state: AzureState) -> None:
    """Add the seeded videos to ``state``, oldest first, with their stand-in files."""
    for video_id, filename, protection, seconds, uploaded in _VIDEOS:
        moment = _moment(uploaded)
        video = Video(
            id=video_id,
            filename=filename,
            protection=protection,
            storage_encryption="",
            upload_expires=moment,
            created=moment,
            modified=moment,
            state=READY,
            progress=100,
            media_s=seconds,
        )
        if protection == "AES128":
            video.key_id = f"nb:kid:UUID:{video_id}"
            video.content_key = secrets.token_bytes(16)
        path = state.blob_path(video)
        content = f"seeded media of {filename}\n".encode()
        path.write_bytes(content)
        digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
        video.stored = StoredFile(path, len(content), digest)
        state.videos[video.id] = video
