"""Supplemental files of media objects and master files, streamed both ways.

Uploads (multipart, or raw bytes for a replacement) flow through to Avalon chunk by
chunk and downloads flow back the same way, so a file of any size passes with
bounded gateway memory. Downloads follow Avalon's redirects to the stored blob in the
gateway (:mod:`adapters.avalon.downloads`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import aiohttp
from aiohttp import hdrs, web
from aiohttp.helpers import parse_mimetype

from adapters.avalon import downloads, forms, mapping
from adapters.avalon.resources import Resources, created, created_id, fitting
from gateway.spi import (
    MULTIPART,
    BadRequest,
    Conflict,
    GatewayError,
    Href,
    NotFound,
    UnsupportedMediaType,
    UpstreamResponse,
    UpstreamStatusError,
    hal,
    hal_response,
    relay,
    stream_body,
    upload_filename,
)
from gateway.spi import path_segment as seg

if TYPE_CHECKING:
    from adapters.avalon.adapter import AvalonAdapter

# RFC 2046: 1 to 70 of these characters, the last not a space.
_BOUNDARY: Final = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")


_NOT_CAPTIONS: Final = "is not a recognized captions file"
"""What Avalon's save error says of a caption file that is neither WebVTT nor SRT."""


@contextmanager
def _captions(backend: str, refusal: type[GatewayError]) -> Iterator[None]:
    """Avalon's 500 for a caption file of another type, as the client's error it is.

    Avalon fails to save such a file and answers 500 (supplemental_files_controller.rb:59,
    115; supplemental_file.rb:149-152); the gateway streams uploads unread, so it learns
    the file's type only from that answer. ``refusal`` is 415 for an upload, 409 for new
    metadata that makes a stored file a caption; Avalon's message stays in ``errors``.
    """
    try:
        yield
    except UpstreamStatusError as exc:
        if exc.upstream_status != 500 or not any(_NOT_CAPTIONS in m for m in exc.errors):
            raise
        raise refusal(
            f"backend {backend} takes captions as WebVTT (text/vtt) or SRT (text/srt) only",
            extra={
                "backend": backend,
                "upstream_status": exc.upstream_status,
                "errors": exc.errors,
            },
        ) from exc


def _multipart_headers(request: web.Request) -> dict[str, str]:
    """The Content-Type to pass on with a multipart body; 400 without a usable boundary.

    Checked before any byte streams on: a body whose parts cannot be found would only
    fail upstream, after the whole upload.
    """
    header = request.headers[hdrs.CONTENT_TYPE]
    boundary = parse_mimetype(header).parameters.get("boundary", "")
    if not _BOUNDARY.fullmatch(boundary):
        raise BadRequest(
            "a multipart/form-data body needs a boundary parameter of 1 to 70 characters"
        )
    return {hdrs.CONTENT_TYPE: header}


def _owner(request: web.Request) -> tuple[str, str]:
    """(upstream path, gateway path) of the file's owner: a master file or a media object."""
    object_id = request.match_info["id"]
    gateway = f"/media-objects/{seg(object_id)}"
    mf_id = request.match_info.get("master_file_id")
    if mf_id is None:
        return f"/media_objects/{seg(object_id)}", gateway
    return f"/master_files/{seg(mf_id)}", f"{gateway}/master-files/{seg(mf_id)}"


async def _check_owner(adapter: AvalonAdapter, request: web.Request) -> None:
    """404 unless the media object exists and the master file in the path, if any, is one
    of its own.

    Avalon itself answers a file request under an unknown owner with 401, or with a
    500 for an administrator's key (supplemental_files_controller.rb:160-162, 281-284):
    the owner is read first so that the client gets the 404 it is.
    """
    object_id = request.match_info["id"]
    response = await adapter.client.request("GET", f"/media_objects/{seg(object_id)}.json")
    mf_id = request.match_info.get("master_file_id")
    if mf_id is None:
        return
    files = response.json_object().get("files") or []
    if not any(isinstance(f, dict) and str(f.get("id")) == mf_id for f in files):
        raise NotFound(f"media object {object_id} has no master file {mf_id} you may see")


class SupplementalFiles:
    """The handlers of one Avalon backend's supplemental files."""

    def __init__(self, adapter: AvalonAdapter, resources: Resources) -> None:
        self.adapter = adapter
        self.client = adapter.client
        self.resources = resources

    async def _show(self, upstream: str, gateway: str, file_id: str, href: Href) -> hal.Resource:
        response = await self.client.request(
            "GET", f"{upstream}/supplemental_files/{seg(file_id)}.json"
        )
        doc = mapping.supplemental_file(response.json_object(), gateway, href)
        doc.form(forms.UPDATE_SUPPLEMENTAL_FILE, prefill=True)
        doc.form(forms.REPLACE_CONTENT, doc.href("avalon:content"), key="replace-content")
        return doc.form(forms.DELETE_SUPPLEMENTAL_FILE, key="delete")

    async def list(self, request: web.Request) -> web.Response:
        """``GET .../supplemental-files``: one page, items embedded."""
        href = self.adapter.hrefs(request)
        upstream, gateway = _owner(request)
        await _check_owner(self.adapter, request)
        doc = await self.resources.paged(
            request,
            f"{upstream}/supplemental_files.json",
            href(gateway + "/supplemental-files{?page,per_page}"),
            "avalon:supplemental-file",
            lambda item: mapping.supplemental_file(item, gateway, href),
        )
        listing = href(gateway + "/supplemental-files")
        doc.form(forms.UPLOAD_SUPPLEMENTAL_FILE, listing)
        doc.form(forms.DESCRIBE_SUPPLEMENTAL_FILE, listing, key="describe")
        return hal_response(doc.link("up", href(gateway)))

    async def create(self, request: web.Request) -> web.Response:
        """``POST .../supplemental-files``: multipart streamed through, or JSON metadata."""
        href = self.adapter.hrefs(request)
        upstream, gateway = _owner(request)
        await _check_owner(self.adapter, request)
        target = f"{upstream}/supplemental_files.json"
        if request.content_type == MULTIPART:
            async with self.client.stream(
                "POST",
                target,
                data=stream_body(request),
                headers=_multipart_headers(request),
                transfer=True,
            ) as response:
                with _captions(self.adapter.name, UnsupportedMediaType):
                    await self.client.check(response)
                answer = await response.read()
            new_id = created_id(
                UpstreamResponse(response.status, response.headers, answer, "", self.client.backend)
            )
        else:
            metadata = await fitting(request, forms.DESCRIBE_SUPPLEMENTAL_FILE)
            new_id = created_id(await self.client.request("POST", target, json_body=metadata))
        location = href(f"{gateway}/supplemental-files/{seg(new_id)}")
        return await created(self._show(upstream, gateway, new_id, href), new_id, location)

    async def show(self, request: web.Request) -> web.Response:
        """``GET .../supplemental-files/{file_id}``: the metadata."""
        upstream, gateway = _owner(request)
        await _check_owner(self.adapter, request)
        doc = await self._show(
            upstream, gateway, request.match_info["file_id"], self.adapter.hrefs(request)
        )
        return hal_response(doc)

    async def update(self, request: web.Request) -> web.Response:
        """``PUT .../supplemental-files/{file_id}``: new metadata; 200 and the result."""
        upstream, gateway = _owner(request)
        await _check_owner(self.adapter, request)
        file_id = request.match_info["file_id"]
        body = await fitting(request, forms.UPDATE_SUPPLEMENTAL_FILE)
        with _captions(self.adapter.name, Conflict):
            await self.client.request(
                "PUT", f"{upstream}/supplemental_files/{seg(file_id)}.json", json_body=body
            )
        doc = await self._show(upstream, gateway, file_id, self.adapter.hrefs(request))
        return hal_response(doc)

    async def delete(self, request: web.Request) -> web.Response:
        """``DELETE .../supplemental-files/{file_id}``: 204."""
        upstream, _ = _owner(request)
        await _check_owner(self.adapter, request)
        file_id = request.match_info["file_id"]
        # With .json Avalon answers 204; without, the same deletion answers 302 to its
        # edit page (supplemental_files_controller.rb:143-146).
        await self.client.request("DELETE", f"{upstream}/supplemental_files/{seg(file_id)}.json")
        return web.Response(status=204)

    async def download(self, request: web.Request) -> web.StreamResponse:
        """``GET .../content``: the stored bytes, streamed with their type and disposition."""
        upstream, _ = _owner(request)
        await _check_owner(self.adapter, request)
        path = f"{upstream}/supplemental_files/{seg(request.match_info['file_id'])}"
        storage = self.adapter.storage_origins
        async with downloads.content(self.client, path, storage) as response:
            return await relay(request, response, status=response.status)

    async def replace(self, request: web.Request) -> web.Response:
        """``PUT .../content``: new bytes, multipart as Avalon takes it or raw with a name."""
        upstream, gateway = _owner(request)
        await _check_owner(self.adapter, request)
        file_id = request.match_info["file_id"]
        path = f"{upstream}/supplemental_files/{seg(file_id)}"
        if request.content_type == MULTIPART:
            headers = _multipart_headers(request)
            data: aiohttp.MultipartWriter | object = stream_body(request)
        else:
            writer = aiohttp.MultipartWriter("form-data")
            part = writer.append(stream_body(request), {hdrs.CONTENT_TYPE: request.content_type})
            part.set_content_disposition(
                "form-data", name="file", filename=upload_filename(request)
            )
            data, headers = writer, {}
        # Avalon refuses a binary replacement whose Accept is not JSON.
        headers["Accept"] = "application/json"
        async with self.client.stream(
            "PUT", path, data=data, headers=headers, transfer=True
        ) as response:
            with _captions(self.adapter.name, UnsupportedMediaType):
                await self.client.check(response)
        doc = await self._show(upstream, gateway, file_id, self.adapter.hrefs(request))
        return hal_response(doc)
