"""Media bytes and uploads that several Azure backend test modules share."""

from __future__ import annotations

import hashlib

from tests.support.azure.navigator import Doc, Navigator

MEDIA = bytes(range(256)) * 3000 + b"tail"  # several chunks, under aiohttp's large-body warning


def md5(data: bytes) -> str:
    """The hex MD5 digest of ``data``, as the simulator keeps it for stored files."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


async def uploaded(
    nav: Navigator, data: bytes = MEDIA, filename: str = "talk.mp4", protection: str = "None"
) -> Doc:
    """A video uploaded in one step, as the gateway's 202 answer shows it."""
    response, video = await nav.upload(data, filename=filename, params={"protection": protection})
    assert response.status == 202, video
    return dict(video)
