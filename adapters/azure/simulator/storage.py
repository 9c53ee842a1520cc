"""The simulator's blob storage: the target of a video's ``UploadUri``.

``PUT /storage/asset-<id>/<id>.blob?sv=..&sr=b&sp=w&se=<expiry>&sig=<signature>`` takes the
file as Azure Blob storage's *Put Blob* does: the shared access signature in the query is
the only credential (a request that also carries an ``Authorization`` header is refused),
``x-ms-blob-type: BlockBlob`` and ``Content-Length`` are required, ``Expect: 100-continue``
is honoured (a refused upload is answered before its body is sent), and the answer is 201
with the stored bytes' ``Content-MD5``. Bytes go to a file in the simulator's folder while
they arrive, so memory stays flat whatever the size; a body that breaks off leaves nothing.
Errors are Azure Storage's XML ``<Error><Code/><Message/></Error>``.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from email.utils import format_datetime
from pathlib import Path
from typing import IO, Final
from xml.sax.saxutils import escape

from aiohttp import web

from adapters.azure.simulator.state import STATE, UPLOADING, StoredFile, Video, iso, now, parse_iso

CHUNK: Final = 1024 * 1024


class StorageError(Exception):
    """Ends a storage request with ``status`` and an Azure Storage error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        """The XML error answer."""
        body = (
            '<?xml version="1.0" encoding="utf-8"?><Error>'
            f"<Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message></Error>"
        )
        return web.Response(
            status=self.status,
            text=body,
            content_type="application/xml",
            headers={"x-ms-error-code": self.code},
        )


def _video(request: web.Request) -> Video:
    """The video whose blob the request addresses, after every check but the body's."""
    state = request.app[STATE]
    if "Authorization" in request.headers:
        raise StorageError(
            400,
            "InvalidAuthenticationInfo",
            "A request signed with a shared access signature must carry no Authorization header.",
        )
    video = state.videos.get(request.match_info["container"].removeprefix("asset-"))
    if video is None or request.path != state.upload_path(video):
        raise StorageError(404, "ResourceNotFound", "The specified resource does not exist.")
    expiry_text = request.query.get("se", "")
    signature = request.query.get("sig", "")
    if "w" not in request.query.get("sp", "") or not state.signer.valid(
        signature, state.upload_path(video), expiry_text
    ):
        raise StorageError(403, "AuthenticationFailed", "Signature did not match.")
    expiry = parse_iso(expiry_text)
    current = now()
    if expiry is None or current >= expiry:
        raise StorageError(
            403,
            "AuthenticationFailed",
            f"Signed expiry time [{expiry_text}] must be after current time [{iso(current)}].",
        )
    if video.state != UPLOADING:
        raise StorageError(409, "BlobImmutable", "The upload of this video is complete.")
    if request.headers.get("x-ms-blob-type") != "BlockBlob":
        raise StorageError(400, "MissingRequiredHeader", "x-ms-blob-type: BlockBlob is required.")
    length = request.content_length
    if length is None:
        raise StorageError(411, "MissingContentLengthHeader", "Content-Length is required.")
    if length > state.config.max_blob_bytes:
        raise StorageError(
            413, "RequestBodyTooLarge", "The request body is too large for a single Put Blob."
        )
    return video


async def expect_upload(request: web.Request) -> web.StreamResponse | None:
    """``Expect: 100-continue``: refuse before the body is sent, or ask for it."""
    try:
        _video(request)
    except StorageError as exc:
        return exc.response()
    if request.headers.get("Expect", "").lower() == "100-continue":
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    return None


def _open(path: Path) -> IO[bytes]:
    return path.open("wb")


async def put_blob(request: web.Request) -> web.StreamResponse:
    """``PUT`` of a video's file: streamed to disk, size and MD5 recorded; 201."""
    state = request.app[STATE]
    try:
        video = _video(request)
    except StorageError as exc:
        return exc.response()
    fault = state.config.storage_fault
    final = state.blob_path(video)
    # One part file per request: a repeated upload may overlap a broken one.
    part = final.with_name(f"{final.name}.{uuid.uuid4().hex}.part")
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    committed = False
    out = _open(part)
    try:
        async for chunk in request.content.iter_chunked(CHUNK):
            if fault is not None and size + len(chunk) > fault.after_bytes:
                if fault.kind == "drop" and request.transport is not None:
                    request.transport.abort()
                    raise web.HTTPInternalServerError()  # never sent: the connection is gone
                if fault.kind == "corrupt":
                    at = max(fault.after_bytes - size, 0)
                    chunk = chunk[:at] + bytes([chunk[at] ^ 0xFF]) + chunk[at + 1 :]
                    fault = None
                elif fault.kind in ("error", "stall"):
                    continue  # the rest is read and dropped; the answer is a failure
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        out.close()
        failing = state.config.storage_fault.kind if state.config.storage_fault else None
        if failing == "stall":
            await state.closing.wait()
        if failing in ("error", "stall"):
            raise StorageError(500, "InternalError", "The server encountered an internal error.")
        if size != request.content_length:
            raise StorageError(400, "InvalidInput", "The body is shorter than Content-Length.")
        part.replace(final)
        committed = True
    except OSError:
        # The sender went away mid-body: nothing is kept, nobody is left to answer.
        return web.Response(status=400)
    except StorageError as exc:
        return exc.response()
    finally:
        out.close()
        if not committed:
            part.unlink(missing_ok=True)
    video.stored = StoredFile(final, size, digest.hexdigest())
    video.modified = now()
    return web.Response(
        status=201,
        headers={
            "Content-MD5": base64.b64encode(digest.digest()).decode(),
            "ETag": f'"0x{digest.hexdigest()[:16].upper()}"',
            "Last-Modified": format_datetime(video.modified, usegmt=True),
            "x-ms-request-server-encrypted": "true",
        },
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """The storage route."""
    router.add_put("/storage/{container}/{blob}", put_blob, expect_handler=expect_upload)
