"""The simulator's streaming endpoint: manifests, the progressive file, thumbnails, keys.

These are the URLs ``PlaybackEndpoint`` and ``Thumbnails`` hand out, under ``/media/<id>/``.
Like a real streaming endpoint they need no API token; only the AES-128 content key
(``/media/<id>/key``, named in the HLS playlist of a protected video) needs the video's
authorization token as ``Authorization: Bearer <token>``. The progressive rendition is
the uploaded file itself, served with its ``Content-MD5``, so what went into storage can
be read back and compared.
"""

from __future__ import annotations

import base64
import mimetypes
import struct
import zlib
from typing import Final

from aiohttp import web

from adapters.azure.simulator.plumbing import origin
from adapters.azure.simulator.state import READY, STATE, THUMBNAILS_PER_VIDEO, Video


def _png(width: int, height: int, grey: int) -> bytes:
    """A valid PNG of one grey level: every thumbnail looks alike, which suffices here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([grey]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


_PNG: Final = _png(320, 180, 0x80)
_SMOOTH: Final = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="{ticks}">'
    '<StreamIndex Type="video" Chunks="0" QualityLevels="1" Url="QualityLevels({{bitrate}})/'
    'Fragments(video={{start time}})"/></SmoothStreamingMedia>'
)
_DASH: Final = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
    'mediaPresentationDuration="PT{seconds}S" profiles="urn:mpeg:dash:profile:isoff-live:2011">'
    "<Period/></MPD>"
)


def _ready(request: web.Request) -> Video:
    video = request.app[STATE].videos.get(request.match_info["id"])
    if video is None:
        raise web.HTTPNotFound()
    video.settle(request.app[STATE].config.encoding_duration_s)
    if video.state != READY or video.stored is None:
        raise web.HTTPNotFound()
    return video


def _hls(request: web.Request, video: Video) -> str:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:6",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    if video.protection == "AES128":
        key_url = f"{origin(request)}/media/{video.id}/key"
        lines.append(f'#EXT-X-KEY:METHOD=AES-128,URI="{key_url}"')
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


async def manifest(request: web.Request) -> web.StreamResponse:
    """Smooth Streaming, HLS or DASH manifest of a ready video, by the URL's format."""
    video = _ready(request)
    seconds = video.duration_s or 0.0
    name = request.match_info["manifest"]
    if name == "manifest":
        body = _SMOOTH.format(ticks=int(seconds * 10_000_000))
        return web.Response(text=body, content_type="application/vnd.ms-sstr+xml")
    if name == "manifest(format=m3u8-aapl)":
        return web.Response(text=_hls(request, video), content_type="application/vnd.apple.mpegurl")
    if name == "manifest(format=mpd-time-csf)":
        return web.Response(text=_DASH.format(seconds=seconds), content_type="application/dash+xml")
    raise web.HTTPNotFound()


def _md5_header(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


async def progressive(request: web.Request) -> web.StreamResponse:
    """The progressive download: the stored file, with its ``Content-MD5``."""
    video = _ready(request)
    assert video.stored is not None
    guessed = mimetypes.guess_type(video.filename)[0] or ""
    kind = "audio/mp4" if guessed.startswith("audio/") else "video/mp4"
    return web.FileResponse(
        video.stored.path,
        headers={"Content-Type": kind, "Content-MD5": _md5_header(video.stored.md5)},
    )


async def thumbnail(request: web.Request) -> web.StreamResponse:
    """One thumbnail image."""
    _ready(request)
    index = request.match_info["index"]
    if not index.isdigit() or int(index) >= THUMBNAILS_PER_VIDEO:
        raise web.HTTPNotFound()
    return web.Response(body=_PNG, content_type="image/png")


async def content_key(request: web.Request) -> web.StreamResponse:
    """The AES-128 key of a protected video, for a valid authorization token only."""
    state = request.app[STATE]
    video = _ready(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if video.protection != "AES128":
        raise web.HTTPNotFound()
    if scheme.lower() != "bearer" or state.signer.token_video(token.strip()) != video.id:
        return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
    return web.Response(
        body=video.content_key,
        content_type="application/octet-stream",
        headers={"Cache-Control": "no-store"},
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """The streaming-endpoint routes."""
    router.add_get("/media/{id}/video.ism/{manifest}", manifest)
    router.add_get("/media/{id}/video.mp4", progressive)
    router.add_get("/media/{id}/thumbnails/{index}.png", thumbnail)
    router.add_get("/media/{id}/key", content_key)
