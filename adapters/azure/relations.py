"""The ``azure:`` link relations, documented at ``/rels/azure/{rel}``.

Paths here are relative to the backend root ``/backends/<name>``.
"""

from __future__ import annotations

from typing import Final

from gateway.spi import RelationDoc

VIDEOS: Final = "/videos{?page,per_page}"
VIDEO: Final = "/videos/{id}"
FORMATS: Final = "/formats"
PLAYBACK: Final = "/videos/{id}/playback/{type}"

RELATIONS: Final = (
    RelationDoc(
        "videos",
        "Videos",
        "The paged list of videos, oldest first, each embedded as azure:video with its status. "
        "POST the media bytes here (Content-Type video/* or audio/*, Content-Length, the file "
        "name in Content-Disposition or ?filename=, optionally ?protection=AES128) to upload "
        "in one step: the gateway creates the video, streams the bytes to its storage, marks "
        "the upload complete and answers 202 with Location of the video, which then encodes. "
        'POST JSON {"filename": "talk.mp4", "protection": "None"} instead to create the video '
        "only (201) and upload it stepwise through azure:upload and azure:complete.",
        ("GET", "POST"),
        VIDEOS,
        '{"filename": "talk.mp4", "protection": "None"}',
    ),
    RelationDoc(
        "video",
        "One video",
        "A video: filename, protection (None or AES128), status (Uploading, Encoding, Ready or "
        "Failed), progress (percent of encoding), duration (seconds, once ready) and message "
        "(why encoding failed). While uploading it links azure:upload and azure:complete; once "
        "ready azure:playback (one link per endpoint type), azure:thumbnails (also embedded) "
        "and, for AES128 videos, azure:authorization-token. GET answers with an ETag of the "
        "document and honours If-None-Match (304); DELETE (204) and azure:complete honour "
        "If-Match with that ETag (412). DELETE is 409 while the video encodes. In a list, a "
        "video whose status could not be read shows status null.",
        ("GET", "DELETE"),
        VIDEO,
        '{"id": "5c1f...", "filename": "talk.mp4", "status": "Encoding", "progress": 40}',
    ),
    RelationDoc(
        "formats",
        "Input formats",
        "The input formats the connector encodes: name, file extension and media type.",
        ("GET",),
        FORMATS,
        '{"formats": [{"name": "MPEG-4", "extension": "mp4", "mediaType": "video/mp4"}]}',
    ),
    RelationDoc(
        "upload",
        "Upload the file of a video",
        "Stepwise upload: PUT the media bytes (Content-Type video/* or audio/*, with "
        "Content-Length) to send them to the video's storage through the gateway: 204. The "
        "storage's own upload URL and its signed token never leave the gateway. An expired "
        "upload window is 403; a failed transfer keeps nothing, and the video stays in "
        "Uploading so the PUT may be repeated.",
        ("PUT",),
        "/videos/{id}/upload",
    ),
    RelationDoc(
        "complete",
        "Mark the upload complete",
        "Stepwise upload: POST (no body) once the file is uploaded; encoding starts and the "
        "answer is 202 with Location of the video. 409 when no file was uploaded.",
        ("POST",),
        "/videos/{id}/complete",
    ),
    RelationDoc(
        "playback",
        "Playback of a ready video",
        "One link per endpoint type; the link's name is the type (Streaming for Smooth "
        "Streaming, HLS, DASH, Progressive) and its type the media type of what plays. GET "
        "answers 307 with Location of the streaming URL: a media URL on the connector's "
        "streaming endpoint, meant for players, not the connector's API. A video links it "
        "once ready; the registry's templated azure:playback entry reaches it earlier, and "
        "then answers 409 (transient) while the video is not ready.",
        ("GET",),
        PLAYBACK,
    ),
    RelationDoc(
        "thumbnails",
        "Thumbnails of a video",
        "The video's thumbnails (none before it is ready), each embedded as azure:thumbnail "
        "and linked as azure:thumbnail with its image type.",
        ("GET",),
        "/videos/{id}/thumbnails",
    ),
    RelationDoc(
        "thumbnail",
        "One thumbnail",
        "A frame of the video: index, time (ISO 8601 duration into the video), height and "
        "kind. Its self link is the image itself, on the connector's streaming endpoint.",
        ("GET",),
    ),
    RelationDoc(
        "authorization-token",
        "Playback authorization token",
        "For AES128-protected videos: a token that the player sends as 'Authorization: "
        "Bearer <token>' to the key delivery URL named in the manifest. 400 for videos "
        "without protection. Answered with Cache-Control: no-store.",
        ("GET",),
        "/videos/{id}/authorization-token",
        '{"token": "eyJ2aWQiOi...", "scheme": "Bearer"}',
    ),
)
