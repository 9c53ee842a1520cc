"""Supplemental-file endpoints of the Avalon simulator, and the HLS playlists it streams.

Supplemental files live under ``/master_files/:id/`` and ``/media_objects/:id/``. As in
the real ``SupplementalFilesController`` (``app/controllers/supplemental_files_controller.rb``,
"SFC" below): metadata is read only on ``.json`` paths (from a ``metadata`` JSON string
in a multipart body, or the JSON body itself), creating answers 201 ``{"id": <int>}``,
and errors carry one string (``{"errors": "..."}``): Ruby's full message with the
backtrace for bad requests and unknown files, the save error's text (an inspected Ruby
array, often) with 500 otherwise. A path without ``.json`` redirects to the stored
bytes (GET, see :mod:`.storage`), replaces them (PUT), or deletes and redirects to the
edit page (DELETE). Listing and every change need edit rights on the parent; reading
needs read rights.
"""

from __future__ import annotations

import dataclasses
import json
import mimetypes
import secrets
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from adapters.avalon.simulator import ruby, storage
from adapters.avalon.simulator.plumbing import (
    AvalonError,
    base_url,
    error_string,
    ident,
    internal_error,
    json_suffix,
    paginate,
    present,
    public_exception,
    read_json_object,
    unauthorized,
    viewer,
    wants_json,
)
from adapters.avalon.simulator.render import supplemental_json
from adapters.avalon.simulator.state import (
    CONFIG,
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
    """The parent id and its media object, after the read or edit permission check.

    A destroyed parent is Fedora's tombstone (``Ldp::Gone``, 410 naming the request's
    ``id`` parameter, application_controller.rb:193-202); an unknown one is no object to
    authorize: 401, or for an administrator, whom CanCan lets through, a NoMethodError
    on nil (500).
    """
    state = request.app[STATE]
    if "master_file_id" in request.match_info:
        parent_id = request.match_info["master_file_id"]
        master_file = state.master_files.get(parent_id)
        mo = state.media_objects.get(master_file.media_object_id) if master_file else None
    else:
        parent_id = request.match_info["media_object_id"]
        mo = state.media_objects.get(parent_id)
    who = viewer(request)
    if parent_id in state.tombstones:
        raw = ident(request, "id") if "id" in request.match_info else ""
        gone = {"errors": [f"{raw} has been deleted"]}
        raise AvalonError(410, gone if wants_json(request) else None)
    if mo is None:
        raise internal_error() if who.admin else unauthorized()
    if not (who.can_edit(mo, state) if edit else who.can_read(mo, state)):
        raise unauthorized()
    return parent_id, mo


def _find(request: web.Request, parent_id: str, action: str) -> SupplementalFile:
    """``find_supplemental_file`` (SFC:194-201), called from ``action``."""
    raw = ident(request, "id")
    found = request.app[STATE].supplemental_files.get(int(raw)) if raw.isdigit() else None
    if found is None:
        message = f"Supplemental file: {raw} not found"
        raise error_string(404, ruby.not_found(message, 197, action))
    if found.parent_id != parent_id:
        message = f"Supplemental file: {found.id} not found"
        raise error_string(404, ruby.not_found(message, 200, action))
    return found


def _bad_request(message: str, line: int, action: str) -> AvalonError:
    """``Avalon::BadRequest``, rescued with its full message (SFC:27-29)."""
    return error_string(400, ruby.bad_request(message, line, action))


def _save_error(message: str) -> AvalonError:
    """``Avalon::SaveError``, rescued with its message alone (SFC:22-25)."""
    return error_string(500, f"An error occurred when saving the supplemental file: {message}")


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
        except (ValueError, HttpProcessingError):
            # Rack refuses a form it cannot parse before the controller runs (aiohttp
            # raises HttpProcessingError for a multipart part whose head is no header).
            raise public_exception(400, "Bad Request") from None
        upload = None
        for key in ("file", "supplemental_file[file]"):
            part = form.get(key)
            if isinstance(part, web.FileField):
                # Rack takes a percent-escaped filename (as aiohttp's client sends a
                # name beyond ASCII) unescaped.
                filename = unquote(part.filename)
                upload = _Upload(
                    filename=filename,
                    content_type=_upload_type(filename, part.content_type),
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
        # JSON.parse and symbolize_keys raise what nothing rescues (SFC:173).
        try:
            meta = json.loads(params["metadata"])
        except ValueError:
            raise internal_error() from None
        if not isinstance(meta, dict):
            raise internal_error()
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
        # LanguageTerm.find raises LookupError, which nothing rescues (language_term.rb:76).
        raise internal_error()
    return code


def _attach(sf: SupplementalFile, upload: _Upload) -> None:
    sf.content, sf.content_type, sf.filename = upload.data, upload.content_type, upload.filename
    sf.blob_id = secrets.token_hex(12)  # attaching makes a new blob
    if not sf.label:
        sf.label = upload.filename


def _check_caption(sf: SupplementalFile) -> None:
    # Only an attached file is checked (supplemental_file.rb:149-152): caption metadata
    # without a file is accepted.
    if "caption" in sf.tags and sf.content is not None and sf.content_type not in CAPTION_TYPES:
        raise _save_error(
            ruby.inspect(["File type Uploaded file is not a recognized captions file"])
        )


def _required(meta: _Metadata, upload: _Upload | None, line: int, action: str) -> None:
    if upload is None and not (meta.label or meta.language or meta.tags):
        raise _bad_request("Missing required parameters", line, action)


async def list_supplemental_files(request: web.Request) -> web.StreamResponse:
    """GET .../supplemental_files.json, paginated like the other lists; edit rights only
    (SFC:281-284), and routed with ``.json`` only (config/routes.rb:143, 178)."""
    parent_id, _ = _parent(request, edit=True)
    files = sorted(
        (sf for sf in request.app[STATE].supplemental_files.values() if sf.parent_id == parent_id),
        key=lambda sf: sf.id,
    )
    page, headers = paginate(request, files)
    return web.json_response([supplemental_json(sf) for sf in page], headers=headers)


async def create_supplemental_file(request: web.Request) -> web.StreamResponse:
    """POST .../supplemental_files(.json): multipart file and/or metadata; 201 ``{"id"}``."""
    parent_id, mo = _parent(request, edit=True)
    params, upload = await _params(request)
    metadata_only = json_suffix(request) and upload is None
    if metadata_only and request.headers.get("Content-Type") != "application/json":
        raise _bad_request("Missing required Content-type headers", 42, "create")
    meta = _metadata(request, params)
    _required(meta, upload, 44, "create")
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
    if not wants_json(request):
        # The HTML create answers JSON only to an Accept of application/json (SFC:66-75).
        location = f"{base_url(request)}/media_objects/{mo.id}/edit?step=file-upload"
        return web.Response(status=302, headers={"Location": location})
    return web.json_response({"id": sf.id}, status=201)


async def update_supplemental_file(request: web.Request) -> web.StreamResponse:
    """PUT .../:id.json updates metadata; PUT .../:id (multipart) replaces the file."""
    parent_id, _ = _parent(request, edit=True)
    params, upload = await _params(request)
    if json_suffix(request):
        if upload is not None:
            message = "Incorrect request format. Use HTML if updating attached file."
            raise _bad_request(message, 101, "update")
        if request.headers.get("Content-Type") != "application/json":
            raise _bad_request("Missing required Content-type headers", 102, "update")
    else:
        if upload is None:
            message = "Incorrect request format. Use JSON if updating metadata."
            raise _bad_request(message, 104, "update")
        if request.headers.get("Accept") != "application/json":
            raise _bad_request("Missing required Accept headers", 105, "update")
    meta = _metadata(request, params)
    _required(meta, upload, 107, "update")
    current = _find(request, parent_id, "update")
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
    """GET .../:id.json gives metadata; GET .../:id redirects to the stored bytes (SFC:81-97),
    or sends them itself with ``supplemental_files_proxy``."""
    parent_id, _ = _parent(request, edit=False)
    sf = _find(request, parent_id, "show")
    if wants_json(request):
        return web.json_response(supplemental_json(sf))
    if sf.content is None:
        # Nothing attached: rails_blob_path fails on it, and nothing rescues that.
        raise internal_error()
    if request.app[CONFIG].supplemental_files_proxy:
        return storage.proxied(sf)
    return storage.redirect_to_blob(request, sf)


async def delete_supplemental_file(request: web.Request) -> web.StreamResponse:
    """DELETE .../:id.json: 204; without ``.json`` (an ``Accept: */*`` request picks the
    first format block, SFC:143-146) the same deletion answers 302 to the edit page."""
    parent_id, mo = _parent(request, edit=True)
    sf = _find(request, parent_id, "destroy")
    del request.app[STATE].supplemental_files[sf.id]
    if wants_json(request):
        return web.Response(status=204)
    location = f"{base_url(request)}/media_objects/{mo.id}/edit?step=file-upload"
    return web.Response(status=302, headers={"Location": location})


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
