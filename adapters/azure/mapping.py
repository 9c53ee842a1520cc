"""Connector JSON → HAL: videos with their status, thumbnails, formats, tokens.

Only the documented video fields are read (``ID``, ``OriginalFileName``,
``ContentProtectionMode``, ``ContentProtectionKeyId``, ``Duration``), plus the Status
body. ``UploadUri`` and the storage key and IV never reach clients: uploads go through
the gateway's own upload URL. Streaming and thumbnail URLs are kept as they are: they
lead to the connector's streaming endpoint, which players must reach, not to its API.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from adapters.azure import forms
from gateway.spi import Href, hal, path_segment

READY: Final = "Ready"
UPLOADING: Final = "Uploading"
FINISHED: Final = frozenset({READY, "Failed"})
ENDPOINT_TYPES: Final = {
    "Streaming": "application/vnd.ms-sstr+xml",
    "HLS": "application/vnd.apple.mpegurl",
    "DASH": "application/dash+xml",
    "Progressive": "video/mp4",
}
"""Playback endpoint types → the media type a player gets."""


def endpoint_type(name: str) -> str | None:
    """The connector's spelling of an endpoint type named in any case."""
    return next((t for t in ENDPOINT_TYPES if t.lower() == name.lower()), None)


def video_path(video_id: str) -> str:
    """The gateway path of a video, relative to the backend root."""
    return f"/videos/{path_segment(video_id)}"


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def is_audio(filename: str) -> bool:
    """Whether a video's original file name says it holds sound only (``.mp3``, ``.wav``)."""
    return (mimetypes.guess_type(filename)[0] or "").startswith("audio/")


def _playback_type(endpoint: str, filename: str) -> str:
    if endpoint == "Progressive":
        return "audio/mp4" if is_audio(filename) else "video/mp4"
    return ENDPOINT_TYPES[endpoint]


def video(
    data: Mapping[str, Any],
    status: Mapping[str, Any] | None,
    href: Href,
    thumbnails: hal.Resource | None = None,
) -> hal.Resource:
    """A video with its status and the links its state allows.

    ``status`` is the connector's Status body (None in lists where it could not be had);
    ``thumbnails`` the thumbnails resource to embed, for a ready video.
    """
    video_id = str(data.get("ID", ""))
    filename = str(data.get("OriginalFileName") or "")
    protection = str(data.get("ContentProtectionMode") or "None")
    state = str(status.get("State") or "") if status else None
    base = video_path(video_id)
    properties: dict[str, Any] = {
        "id": video_id,
        "filename": filename,
        "protection": protection,
        "status": state,
        "progress": _number(status.get("Progress")) if status else None,
        "duration": _number(data.get("Duration")),
    }
    if data.get("ContentProtectionKeyId"):
        properties["protectionKeyId"] = str(data["ContentProtectionKeyId"])
    if status and status.get("Message"):
        properties["message"] = str(status["Message"])
    resource = hal.Resource(properties)
    resource.link("self", href(base), title=filename or None)
    resource.link("up", href("/videos"), title="Videos")
    if state == UPLOADING:
        resource.link("azure:upload", href(base + "/upload"), title="PUT the file here")
        resource.link("azure:complete", href(base + "/complete"), title="POST when uploaded")
        resource.form(forms.UPLOAD_FILE, href(base + "/upload"), key="upload")
        resource.form(forms.COMPLETE, href(base + "/complete"), key="complete")
    if state == UPLOADING or state in FINISHED:  # the connector deletes none while encoding
        resource.form(forms.DELETE, key="delete")
    if state == READY:
        resource.links_array("azure:playback")
        for endpoint in ENDPOINT_TYPES:
            resource.add_link(
                "azure:playback",
                href(f"{base}/playback/{endpoint}"),
                name=endpoint,
                type=_playback_type(endpoint, filename),
            )
        resource.link("azure:thumbnails", href(base + "/thumbnails"), title="Thumbnails")
        if thumbnails is not None:
            resource.embed("azure:thumbnails", thumbnails)
        if protection == "AES128":
            resource.link("azure:authorization-token", href(base + "/authorization-token"))
    return resource


def _image_type(url: str) -> str | None:
    return mimetypes.guess_type(urlsplit(url).path)[0]


def ordered_frames(items: Sequence[Any]) -> list[Mapping[str, Any]]:
    """The entries of a Thumbnails answer that have an image, in ``Index`` order."""
    found = [i for i in items if isinstance(i, Mapping) and i.get("Url")]
    found.sort(key=lambda i: _number(i.get("Index")) or 0)
    return found


def thumbnails(items: Sequence[Any], video_id: str, href: Href) -> hal.Resource:
    """A video's thumbnails: linked and embedded as ``azure:thumbnail``, images as ``self``."""
    base = video_path(video_id)
    frames = ordered_frames(items)
    resource = hal.Resource({"count": len(frames)})
    resource.link("self", href(base + "/thumbnails"))
    resource.link("up", href(base), title="Video")
    resource.links_array("azure:thumbnail")
    embedded: list[hal.Resource] = []
    for frame in frames:
        url = str(frame["Url"])
        name = str(frame.get("Index", len(embedded)))
        resource.add_link("azure:thumbnail", url, name=name, type=_image_type(url))
        item = hal.Resource(
            {
                "id": str(frame.get("ID", "")),
                "index": _number(frame.get("Index")),
                "time": frame.get("Time"),
                "height": _number(frame.get("Height")),
                "kind": frame.get("Kind"),
            }
        )
        item.link("self", url, type=_image_type(url))
        embedded.append(item)
    resource.embed("azure:thumbnail", embedded)
    return resource


def formats(items: Sequence[Any], href: Href) -> hal.Resource:
    """The input formats; entries may be objects or bare extensions."""
    out = []
    for item in items:
        if isinstance(item, str):
            item = {"Extension": item}
        if not isinstance(item, Mapping):
            continue
        extension = str(item.get("Extension") or "").lstrip(".")
        media_type = item.get("MimeType") or mimetypes.guess_type(f"x.{extension}")[0]
        out.append(
            {"name": item.get("Name") or extension, "extension": extension, "mediaType": media_type}
        )
    resource = hal.Resource({"count": len(out), "formats": out})
    resource.link("self", href("/formats"))
    resource.link("up", href(""))
    return resource


def token_text(data: Any) -> str | None:
    """The playback token of a connector answer: a string or ``{"Token": ...}``; else None."""
    if isinstance(data, Mapping):
        data = data.get("Token") or data.get("token")
    return data if isinstance(data, str) and data else None


def authorization_token(token: str, video_id: str, href: Href) -> hal.Resource:
    """The playback token as HAL."""
    resource = hal.Resource({"token": token, "scheme": "Bearer"})
    resource.link("self", href(video_path(video_id) + "/authorization-token"))
    resource.link("up", href(video_path(video_id)), title="Video")
    return resource
