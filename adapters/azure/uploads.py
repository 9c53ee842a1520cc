"""Uploads to an Azure backend: the bytes stream from the client through the gateway to storage.

The connector hands out a storage URL with a signed, expiring token (``UploadUri``). The
gateway PUTs the client's bytes there chunk by chunk as they arrive, with that token as
the only credential (never the connector's bearer token) and ``Expect: 100-continue``, so
a refused upload is known before any byte is sent. Memory stays bounded whatever the size.
The storage's ``Content-MD5`` of what it kept is checked against the bytes sent.

The ``UploadUri`` never reaches a client: the stepwise flow offers the gateway's own
upload URL (``azure:upload``), which streams on to it.

A one-step upload that fails anywhere after the video was created (the client breaks
off, the storage fails or refuses, completion fails) deletes the video, so nothing
half-made stays behind, and the client gets the failure's problem; its detail says
whether the video was deleted. Two cases leave the video behind, named by its id in the
detail and in a logged warning, for an operator or the client to delete it:

* the deletion itself fails: the video stays ``Uploading``, which never plays;
* the connector answers the deletion with 409 because the video is encoding: the
  completion reached the connector though its answer was lost (a timeout or a dropped
  connection). The video then becomes ``Ready`` (or ``Failed``) like any other and is
  listed among the videos; the connector takes no deletion while it encodes, so it is
  not deleted behind the client's back.

A failed stepwise upload keeps the video, still ``Uploading`` with nothing stored, for
the PUT to be repeated.

The deletion runs in a task of its own, so it completes even when the request's task is
cancelled; the adapter waits for those tasks when the gateway shuts down, before its
upstream session closes (:meth:`~adapters.azure.adapter.AzureAdapter.close`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import enum
import hashlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from aiohttp import hdrs, web

from adapters.azure import errors
from adapters.azure.videos import Videos, api_path, file_name, protection_mode
from gateway.spi import (
    JSON_TYPES,
    BadRequest,
    Conflict,
    GatewayError,
    UnsupportedMediaType,
    UpstreamClient,
    UpstreamError,
    UpstreamStatusError,
    UpstreamTimeout,
    UpstreamUnavailable,
    stream_body,
    upload_filename,
)

if TYPE_CHECKING:
    from adapters.azure.adapter import AzureAdapter

log = logging.getLogger(__name__)

MEDIA_TYPES: Final = ("video/*", "audio/*")
_STORAGE_REFUSALS: Final = {
    403: "the storage refused the video's upload URL: its signed token expired or is not valid",
    409: "the storage no longer takes a file for this video",
    413: "the file is larger than the storage takes in one piece",
}


def _length(request: web.Request) -> int:
    length = request.content_length
    if length is None:
        raise BadRequest(
            "send the file with a Content-Length header: the storage takes it in one piece"
        )
    if length == 0:
        raise BadRequest("the file is empty")
    return length


def _media_type(request: web.Request) -> str:
    content_type = request.content_type.lower()
    if not content_type.startswith(("video/", "audio/")):
        raise UnsupportedMediaType(
            f"a body of type {content_type or '(none)'} is not accepted here; "
            "send the media as video/* or audio/*"
        )
    return content_type


def _storage_url(upload_uri: object, backend: str) -> tuple[str, str, list[str]]:
    """The upload URL, its origin, and its signature in every spelling errors may show."""
    if not isinstance(upload_uri, str):
        raise UpstreamUnavailable("the backend gave no usable upload URL", backend=backend)
    parts = urlsplit(upload_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UpstreamUnavailable("the backend gave no usable upload URL", backend=backend)
    # The query as sent holds the signature percent-encoded; messages may quote either.
    raw = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "sig"]
    encoded = [p.partition("=")[2] for p in parts.query.split("&") if p.startswith("sig=")]
    signatures = {*raw, *encoded, *(unquote(v) for v in encoded), *(quote(v, safe="") for v in raw)}
    return upload_uri, f"{parts.scheme}://{parts.netloc}", sorted(s for s in signatures if s)


class _Deletion(enum.Enum):
    """How the deletion of a half-made video ended."""

    DELETED = "deleted"
    ENCODING = "encoding"
    FAILED = "failed"


def _restated(exc: GatewayError, detail: str) -> GatewayError:
    """A new error of ``exc``'s kind with ``detail``; ``exc`` itself stays as it was."""
    if isinstance(exc, UpstreamError):
        return type(exc)(
            detail,
            backend=exc.backend,
            upstream_status=exc.upstream_status,
            errors=exc.errors,
            upstream_code=exc.upstream_code,
            headers=exc.headers,
        )
    return type(exc)(detail, headers=exc.headers, extra=exc.extra)


class _Body:
    """The request body as it streams on, counted and hashed."""

    def __init__(self, request: web.Request, length: int) -> None:
        self.request = request
        self.length = length
        self.received = 0
        self._md5 = hashlib.md5(usedforsecurity=False)

    @property
    def md5(self) -> bytes:
        """MD5 digest of the bytes passed on so far."""
        return self._md5.digest()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body's chunks; a client that breaks off is a 400 carried to the caller."""
        try:
            async for chunk in stream_body(self.request):
                self.received += len(chunk)
                self._md5.update(chunk)
                yield chunk
        except BadRequest as exc:
            raise BadRequest(
                f"the upload broke off after {self.received} of {self.length} bytes"
            ) from exc


class Uploads:
    """The upload handlers of one Azure backend."""

    def __init__(self, adapter: AzureAdapter, videos: Videos) -> None:
        self.adapter = adapter
        self.client = adapter.client
        self.videos = videos

    async def post(self, request: web.Request) -> web.Response:
        """``POST videos``: media bytes upload in one step (202); JSON creates only (201)."""
        if request.content_type in JSON_TYPES:
            return await self.videos.create(request)
        return await self.one_step(request)

    async def one_step(self, request: web.Request) -> web.Response:
        """Create, stream to storage, mark complete; 202 with ``Location`` of the video."""
        _media_type(request)
        length = _length(request)
        filename = file_name(upload_filename(request))
        protection = protection_mode(request.query.get("protection"))
        created = await self.videos.create_upstream(filename, protection)
        video_id = str(created["ID"])
        try:
            await self._send(request, created.get("UploadUri"), length)
            await self.client.request("POST", api_path(video_id, "/MarkComplete"))
        except GatewayError as exc:
            outcome = await self._discard(video_id)
            raise _restated(exc, f"{exc.detail}; {_AFTERMATH[outcome].format(video_id)}") from exc
        except BaseException:
            await self._discard(video_id)
            raise
        return await self.videos.created_answer(video_id, self.adapter.hrefs(request), 202)

    async def put(self, request: web.Request) -> web.Response:
        """``PUT videos/{id}/upload``: the stepwise upload; 204."""
        _media_type(request)
        length = _length(request)
        video_id = request.match_info["id"]
        record = (await self.videos.record(video_id)).json_object()
        # The connector empties UploadUri once the upload is marked complete.
        upload_uri = record.get("UploadUri")
        if not upload_uri:
            raise Conflict(f"video {video_id} takes no upload: its upload was completed")
        await self._send(request, upload_uri, length)
        return web.Response(status=204)

    async def _send(self, request: web.Request, upload_uri: object, length: int) -> None:
        """Stream the request body to ``upload_uri`` and check what the storage kept."""
        url, origin, signatures = _storage_url(upload_uri, self.adapter.name)
        body = _Body(request, length)
        backend = self.adapter.backend
        # A client of its own: the storage is another host with another credential. Opened
        # on the storage's origin, so its errors show the backend's name, never that host.
        storage = UpstreamClient(
            self.adapter.name,
            timeout_s=backend.timeout_s,
            transfer_timeout_s=backend.transfer_timeout_s,
            retries=0,
            error_reader=errors.read_error,
            secrets=[*self.adapter.secrets(backend), *signatures],
        )
        await storage.open(origin)
        try:
            headers = {
                hdrs.CONTENT_TYPE: request.content_type,
                hdrs.CONTENT_LENGTH: str(length),
                hdrs.EXPECT: "100-continue",
                "x-ms-blob-type": "BlockBlob",
                "x-ms-version": "2019-12-12",
            }
            async with storage.stream(
                "PUT", url, data=body.chunks(), headers=headers, authenticate=False, transfer=True
            ) as response:
                try:
                    await storage.check(response)
                except UpstreamStatusError as exc:
                    raise self._refused(exc) from exc
                stored_md5 = response.headers.get("Content-MD5")
        except UpstreamTimeout as exc:
            raise UpstreamTimeout(
                "the upload did not reach the storage within "
                f"{storage.transfer_timeout.total or 0:g} s",
                backend=exc.backend,
            ) from exc
        except UpstreamUnavailable as exc:
            raise UpstreamUnavailable(
                f"the connection to the storage failed during the upload ({exc.detail})",
                backend=exc.backend,
            ) from exc
        finally:
            await storage.close()
        if stored_md5 is not None and _digest(stored_md5) != body.md5:
            raise UpstreamUnavailable(
                "the storage kept bytes that differ from those sent", backend=self.adapter.name
            )

    def _refused(self, exc: UpstreamStatusError) -> UpstreamStatusError:
        status = exc.upstream_status or 500
        detail = _STORAGE_REFUSALS.get(status, f"the storage failed to take the file ({status})")
        return UpstreamStatusError(
            detail,
            backend=exc.backend,
            upstream_status=exc.upstream_status,
            errors=exc.errors,
            upstream_code=exc.upstream_code,
        )

    async def _discard(self, video_id: str) -> _Deletion:
        # A task of its own, shielded: the deletion completes even when the request's task
        # is cancelled; the adapter holds it until shutdown.
        task: asyncio.Task[_Deletion] = asyncio.ensure_future(self._delete(video_id))
        self.adapter.keep(task)
        return await asyncio.shield(task)

    async def _delete(self, video_id: str) -> _Deletion:
        """Delete a half-made video; never raises, says how it went."""
        try:
            response = await self.client.request("DELETE", api_path(video_id), ok=(404, 409))
        except Exception as exc:  # the client's problem is the upload's, not this one's
            reason = exc.detail if isinstance(exc, GatewayError) else type(exc).__name__
            log.warning(
                "backend %s: the half-made video %s could not be deleted and stays Uploading: %s",
                self.adapter.name,
                video_id,
                reason,
            )
            return _Deletion.FAILED
        if response.status == 409:
            log.warning(
                "backend %s: video %s was not deleted: it is encoding, so its completion "
                "went through though the answer was lost; it will become Ready or Failed",
                self.adapter.name,
                video_id,
            )
            return _Deletion.ENCODING
        return _Deletion.DELETED


_AFTERMATH: Final = {
    _Deletion.DELETED: "the half-made video {} was deleted",
    _Deletion.ENCODING: "video {} was not deleted: its completion reached the backend, which "
    "is encoding it and takes no deletion meanwhile; it will become Ready or Failed, "
    "delete it then if it is not wanted",
    _Deletion.FAILED: "the half-made video {} could not be deleted; it stays Uploading and "
    "never plays, delete it",
}


def _digest(header: str) -> bytes | None:
    try:
        return base64.b64decode(header, validate=True)
    except (binascii.Error, ValueError):
        return None
