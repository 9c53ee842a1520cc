"""The ``/api`` resources of the Azure connector simulator: videos, status, playback, formats.

Bodies use the connector's field names (``ID``, ``OriginalFileName``, ``UploadUri``, ...).
The shapes the reference leaves open are decided here: ``Status`` is ``{"State",
"Progress", "Message"}``, ``PlaybackEndpoint`` is ``{"EndpointType", "Url"}``,
``AuthorizationToken`` is a JSON string, ``Formats`` a list of ``{"Name", "Extension",
"MimeType"}``, and the video list takes OData's ``$skip``, ``$top`` and ``$count=true``
(then answering ``{"@odata.count", "value"}``; a plain array otherwise).
"""

from __future__ import annotations

import base64
import secrets
from pathlib import PurePosixPath
from typing import Final
from urllib.parse import quote, urlencode

from aiohttp import web

from adapters.azure.simulator.plumbing import client_of, json_body, matches, origin
from adapters.azure.simulator.state import (
    ENCODING,
    ENDPOINT_TYPES,
    PROTECTION_MODES,
    READY,
    STATE,
    STORAGE_ENCRYPTION_MODES,
    THUMBNAILS_PER_VIDEO,
    UPLOADING,
    ApiError,
    Json,
    Video,
    iso,
)

FORMATS: Final = (
    ("MPEG-4", "mp4", "video/mp4"),
    ("QuickTime", "mov", "video/quicktime"),
    ("Windows Media Video", "wmv", "video/x-ms-wmv"),
    ("AVI", "avi", "video/x-msvideo"),
    ("Matroska", "mkv", "video/x-matroska"),
    ("MPEG-4 (Apple)", "m4v", "video/x-m4v"),
    ("MPEG-2 Program Stream", "mpg", "video/mpeg"),
    ("MPEG-2 Transport Stream", "ts", "video/mp2t"),
    ("Material Exchange Format", "mxf", "application/mxf"),
    ("Waveform Audio", "wav", "audio/wav"),
    ("MP3", "mp3", "audio/mpeg"),
    ("MPEG-4 Audio", "m4a", "audio/mp4"),
)
_EXTENSIONS: Final = frozenset(extension for _, extension, _ in FORMATS)
_MANIFESTS: Final = {
    "Streaming": "video.ism/manifest",
    "HLS": "video.ism/manifest(format=m3u8-aapl)",
    "DASH": "video.ism/manifest(format=mpd-time-csf)",
    "Progressive": "video.mp4",
}


def media_url(request: web.Request, video: Video, tail: str) -> str:
    """A URL on the simulated streaming endpoint."""
    return f"{origin(request)}/media/{quote(video.id)}/{tail}"


def video_json(request: web.Request, video: Video) -> Json:
    """A video as the connector shows it; ``UploadUri`` is empty once uploading is over."""
    state = request.app[STATE]
    upload_uri = ""
    if video.state == UPLOADING:
        query = urlencode(state.upload_query(video))
        upload_uri = f"{origin(request)}{state.upload_path(video)}?{query}"
    return {
        "ID": video.id,
        "OriginalFileName": video.filename,
        "UploadUri": upload_uri,
        "ContentProtectionMode": video.protection,
        "ContentProtectionKeyId": video.key_id or "",
        "InputStorageEncryptionMode": video.storage_encryption,
        "Duration": video.duration_s,
        "Created": iso(video.created),
        "LastModified": iso(video.modified),
    }


def _find(request: web.Request) -> Video:
    return request.app[STATE].get(request.match_info["id"])


def _check_if_match(request: web.Request, video: Video) -> None:
    header = request.headers.get("If-Match")
    if header is not None and not matches(header, video.etag(), weak=False):
        raise ApiError(412, "The video has changed since it was read (If-Match failed).")


def _int_query(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ApiError(400, f"The query option {name} must be a non-negative integer.")
    return int(raw)


async def list_videos(request: web.Request) -> web.StreamResponse:
    """``GET /api/Videos``: every video, oldest first, optionally paged OData style."""
    videos = request.app[STATE].listing()
    skip = _int_query(request, "$skip", 0)
    top = _int_query(request, "$top", len(videos))
    page = [video_json(request, v) for v in videos[skip : skip + top]]
    if request.query.get("$count", "").lower() == "true":
        return web.json_response({"@odata.count": len(videos), "value": page})
    return web.json_response(page)


async def create_video(request: web.Request) -> web.StreamResponse:
    """``POST /api/Videos``: 201 with the upload URL, and the storage key only this once."""
    body = await json_body(request)
    filename = body.get("OriginalFileName")
    if not isinstance(filename, str) or not filename.strip():
        raise ApiError(400, "OriginalFileName is required.")
    extension = PurePosixPath(filename).suffix.lower().lstrip(".")
    if extension not in _EXTENSIONS:
        raise ApiError(400, f"The file type '.{extension}' is not a supported input format.")
    protection = body.get("ContentProtectionMode") or "None"
    if protection not in PROTECTION_MODES:
        raise ApiError(400, "ContentProtectionMode must be 'None' or 'AES128'.")
    encryption = body.get("InputStorageEncryptionMode") or ""
    if encryption not in STORAGE_ENCRYPTION_MODES:
        raise ApiError(400, "InputStorageEncryptionMode must be '' or 'AES256'.")
    video = request.app[STATE].create(
        filename.strip(), protection, encryption, client=client_of(request)
    )
    data = video_json(request, video)
    if encryption == "AES256":
        data["InputStorageEncryptionKey"] = base64.b64encode(secrets.token_bytes(32)).decode()
        data["InputStorageEncryptionIV"] = base64.b64encode(secrets.token_bytes(16)).decode()
    location = f"{origin(request)}/api/Videos/{quote(video.id)}"
    return web.json_response(data, status=201, headers={"Location": location, "ETag": video.etag()})


async def show_video(request: web.Request) -> web.StreamResponse:
    """``GET /api/Videos/{id}``, with ``ETag``; 304 when ``If-None-Match`` names it."""
    video = _find(request)
    etag = video.etag()
    if matches(request.headers.get("If-None-Match"), etag, weak=True):
        return web.Response(status=304, headers={"ETag": etag})
    return web.json_response(video_json(request, video), headers={"ETag": etag})


async def delete_video(request: web.Request) -> web.StreamResponse:
    """``DELETE /api/Videos/{id}``: 204; 409 while it encodes; 412 when ``If-Match`` fails."""
    video = _find(request)
    _check_if_match(request, video)
    if video.state == ENCODING:
        raise ApiError(409, "The video is being encoded; delete it once encoding is over.")
    request.app[STATE].remove(video)
    return web.Response(status=204)


async def mark_complete(request: web.Request) -> web.StreamResponse:
    """``POST .../MarkComplete``: 202 and encoding starts; 409 without a finished upload."""
    state = request.app[STATE]
    video = _find(request)
    _check_if_match(request, video)
    if video.state != UPLOADING:
        raise ApiError(409, f"The upload of this video is already complete ({video.state}).")
    if video.stored is None:
        raise ApiError(409, "No file has been uploaded to the video's UploadUri.")
    video.start_encoding()
    video.settle(state.config.encoding_duration_s)
    if state.config.lose_completion_answers and request.transport is not None:
        request.transport.abort()
        raise web.HTTPInternalServerError()  # never sent: the connection is gone
    status_url = f"{origin(request)}/api/Videos/{quote(video.id)}/Status"
    return web.Response(status=202, headers={"Location": status_url})


async def video_status(request: web.Request) -> web.StreamResponse:
    """``GET .../Status``: the state, the encoding percentage, and why it failed."""
    state = request.app[STATE]
    video = _find(request)
    answer = web.json_response(
        {"State": video.state, "Progress": video.progress, "Message": video.message},
        headers={"ETag": video.etag()},
    )
    if video.id in state.vanishing:
        state.vanishing.discard(video.id)
        state.remove(video)
    return answer


async def authorization_token(request: web.Request) -> web.StreamResponse:
    """``GET .../AuthorizationToken``: a token for the content key; 400 for clear videos."""
    state = request.app[STATE]
    video = _find(request)
    if video.protection != "AES128":
        raise ApiError(400, "Authorization tokens exist only for AES128-protected videos.")
    return web.json_response(state.signer.token(video, state.config.authorization_token_ttl_s))


async def playback_endpoint(request: web.Request) -> web.StreamResponse:
    """``GET .../PlaybackEndpoint?endpointType=``: the streaming URL; 409 until ready."""
    video = _find(request)
    wanted = request.query.get("endpointType", "")
    endpoint = next((t for t in ENDPOINT_TYPES if t.lower() == wanted.lower()), None)
    if endpoint is None:
        raise ApiError(400, f"endpointType must be one of {', '.join(ENDPOINT_TYPES)}.")
    if video.state != READY:
        raise ApiError(409, f"The video is not ready for playback; its state is {video.state}.")
    url = media_url(request, video, _MANIFESTS[endpoint])
    return web.json_response({"EndpointType": endpoint, "Url": url})


async def thumbnails(request: web.Request) -> web.StreamResponse:
    """``GET .../Thumbnails``: evenly spaced frames once ready, none before."""
    video = _find(request)
    duration = video.duration_s
    if video.state != READY or duration is None:
        return web.json_response([])
    frames = []
    for index in range(THUMBNAILS_PER_VIDEO):
        seconds = round(duration * index / THUMBNAILS_PER_VIDEO, 3)
        frames.append(
            {
                "ID": f"{video.id}-{index}",
                "VideoId": video.id,
                "Height": 180,
                "Index": index,
                "Time": f"PT{seconds}S",
                "Url": media_url(request, video, f"thumbnails/{index}.png"),
                "Kind": "Thumbnail",
            }
        )
    return web.json_response(frames)


async def formats(request: web.Request) -> web.StreamResponse:
    """``GET /api/Formats``: the input formats a video may be created from."""
    return web.json_response(
        [{"Name": name, "Extension": ext, "MimeType": mime} for name, ext, mime in FORMATS]
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """The ``/api`` routes."""
    router.add_get("/api/Videos", list_videos)
    router.add_post("/api/Videos", create_video)
    router.add_get("/api/Videos/{id}", show_video)
    router.add_delete("/api/Videos/{id}", delete_video)
    router.add_post("/api/Videos/{id}/MarkComplete", mark_complete)
    router.add_get("/api/Videos/{id}/Status", video_status)
    router.add_get("/api/Videos/{id}/AuthorizationToken", authorization_token)
    router.add_get("/api/Videos/{id}/PlaybackEndpoint", playback_endpoint)
    router.add_get("/api/Videos/{id}/Thumbnails", thumbnails)
    router.add_get("/api/Formats", formats)
