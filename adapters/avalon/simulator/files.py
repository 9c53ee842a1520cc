"""Supplemental-file endpoints of the Avalon simulator, and the HLS playlists it streams.

Supplemental files live under ``/master_files/:id/`` and ``/media_objects/:id/``. As in
the real ``SupplementalFilesController``: metadata is read only on ``.json`` paths (from a
``metadata`` JSON string in a multipart body, or the JSON body itself), creating answers
201 ``{"id": <int>}``, deleting 204, and errors carry one string (``{"errors": "..."}``).
A path without ``.json`` serves the stored bytes (GET) or replaces them (PUT).
"""

from __future__ import annotations

import dataclasses
import json
import mimetypes
from dataclasses import dataclass
from pathlib import PurePosixPath

from aiohttp import web

from adapters.avalon.simulator.plumbing import (
    error_string,
    ident,
    json_suffix,
    paginate,
    present,
    read_json_object,
    unauthorized,
    viewer,
    wants_json,
)
from adapters.avalon.simulator.render import supplemental_json
from adapters.avalon.simulator.state import (
    STATE,
    Json,
    MediaObject,
    SupplementalFile,
    language_code,
)

CAPTION_TYPES = frozenset({"text/vtt", "text/srt"})
_BY_EXTENSION = {".vtt": "text/vtt", ".srt": "text/srt", ".txt": "text/plain"}
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


@dataclass(frozen=True)
class _Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class _Metadata:
    label: str | None
    language: str | None
    tags: list[str]


def _parent(request: web.Request, *, edit: bool) -> tuple[str, MediaObject]:
    """The parent id and its media object, after the read or edit permission check."""
    state = request.app[STATE]
    if "master_file_id" in request.match_info:
        parent_id = request.match_info["master_file_id"]
        master_file = state.master_files.get(parent_id)
        mo = state.media_objects.get(master_file.media_object_id) if master_file else None
    else:
        parent_id = request.match_info["media_object_id"]
        mo = state.media_objects.get(parent_id)
    if mo is None:
        raise error_string(404, f"{parent_id} not found")
    if mo.deleted:
        raise error_string(410, f"{parent_id} has been deleted")
    who = viewer(request)
    if not (who.can_edit(mo, state) if edit else who.can_read(mo, state)):
        raise unauthorized()
    return parent_id, mo


def _find(request: web.Request, parent_id: str) -> SupplementalFile:
    raw = ident(request, "id")
    found = request.app[STATE].supplemental_files.get(int(raw)) if raw.isdigit() else None
    if found is None or found.parent_id != parent_id:
        raise error_string(404, f"Supplemental file: {raw} not found")
    return found


def _upload_type(filename: str, declared: str | None) -> str:
    extension = PurePosixPath(filename).suffix.lower()
    # Upstream forces .srt files to text/srt whatever the client declared.
    if extension == ".srt":
        return "text/srt"
    if declared and declared != "application/octet-stream":
        return declared
    guessed = _BY_EXTENSION.get(extension) or mimetypes.guess_type(filename)[0]
    return guessed or "application/octet-stream"


async def _params(request: web.Request) -> tuple[Json, _Upload | None]:
    """Request parameters and the attached file, from a form or a JSON body."""
    if request.content_type in _FORM_TYPES:
        try:
            form = await request.post()
        except ValueError:
            # Rack refuses a form it cannot parse before the controller runs.
            raise error_string(400, "the form body could not be parsed") from None
        upload = None
        for key in ("file", "supplemental_file[file]"):
            part = form.get(key)
            if isinstance(part, web.FileField):
                upload = _Upload(
                    filename=part.filename,
                    content_type=_upload_type(part.filename, part.content_type),
                    data=part.file.read(),
                )
                break
        return {k: v for k, v in form.items() if isinstance(v, str)}, upload
    if request.content_type == "application/json":
        return await read_json_object(request), None
    return {}, None


def _metadata(request: web.Request, params: Json) -> _Metadata:
    """Label, language and tags the way upstream's supplemental_file_params reads them."""
    if not json_suffix(request):
        # Without .json upstream reads only the supplemental_file[...] form fields.
        return _Metadata(
            label=params.get("supplemental_file[label]") or None,
            language=params.get("supplemental_file[language]") or None,
            tags=[],
        )
    meta = params
    if present(params.get("metadata")):
        try:
            meta = json.loads(params["metadata"])
        except ValueError:
            raise error_string(400, "metadata is not valid JSON") from None
        if not isinstance(meta, dict):
            raise error_string(400, "metadata must be a JSON object")
    kind = meta.get("type") if meta.get("type") in ("caption", "transcript") else None
    tags = [
        kind,
        # Only JSON true counts, as upstream compares with == true.
        "transcript" if meta.get("treat_as_transcript") is True else None,
        "machine_generated" if meta.get("machine_generated") is True else None,
    ]
    label, language = meta.get("label"), meta.get("language")
    return _Metadata(
        label=str(label) if present(label) else None,
        language=str(language) if present(language) else None,
        tags=list(dict.fromkeys(t for t in tags if t)),
    )


def _language(value: str) -> str:
    code = language_code(value)
    if code is None:
        raise error_string(
            500,
            "An error occurred when saving the supplemental file: "
            f"Language {value} is not included in the list",
        )
    return code


def _attach(sf: SupplementalFile, upload: _Upload) -> None:
    sf.content, sf.content_type, sf.filename = upload.data, upload.content_type, upload.filename
    if not sf.label:
        sf.label = upload.filename


def _check_caption(sf: SupplementalFile) -> None:
    if "caption" in sf.tags and sf.content_type not in CAPTION_TYPES:
        raise error_string(
            400, "Uploaded file is not a recognized captions file (text/vtt or text/srt)"
        )


def _required(meta: _Metadata, upload: _Upload | None) -> None:
    if upload is None and not (meta.label or meta.language or meta.tags):
        raise error_string(400, "Missing required parameters")


async def list_supplemental_files(request: web.Request) -> web.StreamResponse:
    """GET .../supplemental_files.json, paginated like the other lists."""
    parent_id, _ = _parent(request, edit=False)
    files = sorted(
        (sf for sf in request.app[STATE].supplemental_files.values() if sf.parent_id == parent_id),
        key=lambda sf: sf.id,
    )
    page, headers = paginate(request, files)
    return web.json_response([supplemental_json(sf) for sf in page], headers=headers)


async def create_supplemental_file(request: web.Request) -> web.StreamResponse:
    """POST .../supplemental_files(.json): multipart file and/or metadata; 201 ``{"id"}``."""
    parent_id, _ = _parent(request, edit=True)
    params, upload = await _params(request)
    metadata_only = json_suffix(request) and upload is None
    if metadata_only and request.headers.get("Content-Type") != "application/json":
        raise error_string(400, "Missing required Content-type headers")
    meta = _metadata(request, params)
    _required(meta, upload)
    sf = SupplementalFile(
        id=0,
        parent_id=parent_id,
        language=_language(meta.language) if meta.language else "eng",
        label=meta.label,
        tags=meta.tags,
    )
    if upload is not None:
        _attach(sf, upload)
    _check_caption(sf)
    state = request.app[STATE]
    sf.id = state.new_supplemental_id()
    state.supplemental_files[sf.id] = sf
    return web.json_response({"id": sf.id}, status=201)


async def update_supplemental_file(request: web.Request) -> web.StreamResponse:
    """PUT .../:id.json updates metadata; PUT .../:id (multipart) replaces the file."""
    parent_id, _ = _parent(request, edit=True)
    params, upload = await _params(request)
    if json_suffix(request):
        if upload is not None:
            raise error_string(400, "Incorrect request format. Use HTML if updating attached file.")
        if request.headers.get("Content-Type") != "application/json":
            raise error_string(400, "Missing required Content-type headers")
    else:
        if upload is None:
            raise error_string(400, "Incorrect request format. Use JSON if updating metadata.")
        if request.headers.get("Accept") != "application/json":
            raise error_string(400, "Missing required Accept headers")
    meta = _metadata(request, params)
    _required(meta, upload)
    current = _find(request, parent_id)
    candidate = dataclasses.replace(current, tags=list(current.tags))
    if upload is None:
        # Fields left out are cleared, except language (documented upstream behaviour).
        candidate.tags, candidate.label = meta.tags, meta.label
        if meta.language:
            candidate.language = _language(meta.language)
    else:
        _attach(candidate, upload)
    _check_caption(candidate)
    request.app[STATE].supplemental_files[candidate.id] = candidate
    return web.json_response({"id": candidate.id})


async def show_supplemental_file(request: web.Request) -> web.StreamResponse:
    """GET .../:id.json gives metadata; GET .../:id downloads the stored bytes."""
    parent_id, _ = _parent(request, edit=False)
    sf = _find(request, parent_id)
    if wants_json(request):
        return web.json_response(supplemental_json(sf))
    if sf.content is None:
        raise error_string(404, f"Supplemental file: {sf.id} has no attached file")
    name = (sf.filename or sf.label or f"supplemental_file_{sf.id}").replace('"', "")
    name = name.encode("ascii", "replace").decode("ascii")
    return web.Response(
        body=sf.content,
        content_type=sf.content_type or "application/octet-stream",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


async def delete_supplemental_file(request: web.Request) -> web.StreamResponse:
    """DELETE .../:id(.json): 204 with no body."""
    parent_id, _ = _parent(request, edit=True)
    sf = _find(request, parent_id)
    del request.app[STATE].supplemental_files[sf.id]
    return web.Response(status=204)


_PLAYLIST = (
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n"
    "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-ENDLIST\n"
)


async def hls_playlist(request: web.Request) -> web.StreamResponse:
    """GET /avalon/...: a minimal VOD playlist for a seeded derivative's ``hls_url``."""
    state = request.app[STATE]
    known = any(
        derivative.get("hls_url") == request.path
        for master_file in state.master_files.values()
        for derivative in master_file.derivatives
    )
    if not known:
        raise web.HTTPNotFound()
    return web.Response(text=_PLAYLIST, content_type="application/vnd.apple.mpegurl")
