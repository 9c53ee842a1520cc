"""Videos of an Azure connector backend: list, show, create, complete, delete, play back.

Each handler turns one gateway request into connector calls and the answers into HAL.
A video's status comes from the connector's Status resource, so a shown video costs two
calls (four once finished: its record again, and, once ready, its thumbnails).

The video's ``ETag`` is the gateway's own: a hash of the document it renders, which holds
the status and thumbnails as well as the connector's record (the connector's own tags
say nothing documented about those). ``If-None-Match`` is evaluated against it here
(304). ``If-Match`` on DELETE and on completion is evaluated here too (412), and the
connector's own tag of the record just read goes on as its ``If-Match``, so a change
between that read and the write is still refused upstream (412).

In a list, a video whose status cannot be read shows ``status: null`` (and no links its
state would allow); the rest of the page stays.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from adapters.azure import forms, mapping
from adapters.azure.forms import PROTECTION_MODES
from adapters.azure.mapping import video_path
from adapters.azure.relations import VIDEOS
from gateway.spi import (
    BadRequest,
    GatewayError,
    Href,
    NotFound,
    PreconditionFailed,
    UpstreamResponse,
    UpstreamUnavailable,
    hal,
    hal_response,
    page_params,
    path_segment,
    read_json,
)

if TYPE_CHECKING:
    from adapters.azure.adapter import AzureAdapter


def api_path(video_id: str, tail: str = "") -> str:
    """The connector path of a video (and of one of its resources)."""
    return f"/api/Videos/{path_segment(video_id)}{tail}"


def file_name(value: str) -> str:
    """The last path component of a client's file name: a name, never a place; 400 if none."""
    name = PurePosixPath(value.replace("\\", "/")).name.strip()
    if not name:
        raise BadRequest(f"{value!r} names no file")
    return name


def protection_mode(value: str | None) -> str:
    """The connector's spelling of a protection mode; 400 for an unknown one."""
    if value is None or value == "":
        return "None"
    found = next((m for m in PROTECTION_MODES if m.lower() == value.lower()), None)
    if found is None:
        raise BadRequest(f"protection must be one of {', '.join(PROTECTION_MODES)}, got {value!r}")
    return found


def etag(doc: hal.Resource) -> str:
    """The gateway's strong validator of a rendered document.

    Its templates are left out: they follow from the state the document shows and from
    the caller's roles (answers vary by ``Authorization``), and one tag for the video
    with and without them lets a client read it as HAL-FORMS and write with ``If-Match``
    whatever it accepts then.
    """
    text = json.dumps(doc.to_dict(templates=False), sort_keys=True, ensure_ascii=False)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def tag_matches(header: str | None, tag: str, *, weak: bool) -> bool:
    """Whether an ``If-Match``/``If-None-Match`` value names ``tag`` (or is ``*``).

    ``weak`` compares as ``If-None-Match`` does, ignoring ``W/``; ``If-Match`` compares
    strongly, so a weak tag never matches there.
    """
    if header is None:
        return False
    for item in header.split(","):
        candidate = item.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            if not weak:
                continue
            candidate = candidate[2:]
        if candidate == tag:
            return True
    return False


def _total(value: Any, backend: str) -> int:
    """An OData count: a number, or (OData's IEEE 754 compatible form) a digit string."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise UpstreamUnavailable("the backend answered with an unusable count", backend=backend)


@dataclass(slots=True)
class _Current:
    """A video's record and status as read together; the record's own tag."""

    record: dict[str, Any]
    status: dict[str, Any] | None
    upstream_tag: str | None


class Videos:
    """The handlers of one Azure backend's videos."""

    def __init__(self, adapter: AzureAdapter) -> None:
        self.adapter = adapter
        self.client = adapter.client

    # -- connector calls ----------------------------------------------------------

    async def record(self, video_id: str) -> UpstreamResponse:
        """``GET /api/Videos/{id}``."""
        return await self.client.request("GET", api_path(video_id))

    async def status(self, video_id: str) -> dict[str, Any] | None:
        """The Status body; None when the video vanished meanwhile."""
        response = await self.client.request("GET", api_path(video_id, "/Status"), ok=(404,))
        return None if response.status == 404 else response.json_object()

    async def current(self, video_id: str, listed: dict[str, Any] | None = None) -> _Current:
        """A video's record and status, the one reader behind lists and single videos.

        The record (``listed``, from a list, or read here) comes before the status. A
        finished video cannot change any more, but may have finished between the two
        reads: its record is read again, so a Ready video never shows its unfinished
        record (one without a duration).
        """
        if listed is None:
            first = await self.record(video_id)
            data, tag = first.json_object(), first.headers.get("ETag")
        else:
            data, tag = listed, None
        status = await self.status(video_id)
        if status is not None and status.get("State") in mapping.FINISHED:
            again = await self.record(video_id)
            data, tag = again.json_object(), again.headers.get("ETag")
        return _Current(data, status, tag)

    async def create_upstream(self, filename: str, protection: str) -> dict[str, Any]:
        """Create a video; the connector's answer, with its ``ID`` and ``UploadUri``."""
        body = {"OriginalFileName": filename, "ContentProtectionMode": protection}
        response = await self.client.request("POST", "/api/Videos", json_body=body)
        created = response.json_object()
        if not created.get("ID"):
            raise UpstreamUnavailable(
                "the backend did not say which ID it gave", backend=self.adapter.name
            )
        return created

    async def document(self, video_id: str, href: Href) -> tuple[hal.Resource, _Current]:
        """The video as HAL with its status (and thumbnails once ready)."""
        now = await self.current(video_id)
        state = now.status.get("State") if now.status else None
        thumbnails = await self._thumbnails(video_id, href) if state == mapping.READY else None
        return mapping.video(now.record, now.status, href, thumbnails), now

    async def _thumbnails(self, video_id: str, href: Href) -> hal.Resource:
        response = await self.client.request("GET", api_path(video_id, "/Thumbnails"))
        return mapping.thumbnails(response.json_list(), video_id, href)

    async def created_answer(self, video_id: str, href: Href, status: int) -> web.Response:
        """The video after a create, an upload or a completion, with ``Location``.

        The video exists whatever happens next: when it cannot be read back, the answer is
        still ``status`` with ``Location`` and a minimal body, never an error that would
        invite the client to create it again.
        """
        location = href(video_path(video_id))
        try:
            doc, _ = await self.document(video_id, href)
        except GatewayError:
            doc = hal.Resource({"id": video_id}).link("self", location)
        return hal_response(doc, status=status, headers={"Location": location})

    async def _checked(self, request: web.Request, video_id: str) -> dict[str, str]:
        """Evaluate the client's ``If-Match`` (412); the connector's own for the write."""
        wanted = request.headers.get("If-Match")
        if wanted is None:
            return {}
        doc, now = await self.document(video_id, self.adapter.hrefs(request))
        if not tag_matches(wanted, etag(doc), weak=False):
            raise PreconditionFailed(f"video {video_id} has changed since it was read")
        return {"If-Match": now.upstream_tag} if now.upstream_tag else {}

    # -- handlers -----------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        """``GET videos``: one page, oldest first, each video with its status."""
        href = self.adapter.hrefs(request)
        page, per_page = page_params(request)
        items, total = await self.read_page(page, per_page)
        records: builtins.list[dict[str, Any]] = [
            v for v in items if isinstance(v, dict) and v.get("ID")
        ]
        # Every read is awaited, failed or not; a failure costs its video's status only.
        found = await asyncio.gather(*(self._listed(v) for v in records), return_exceptions=True)
        videos: list[hal.Resource] = []
        for outcome in found:
            if isinstance(outcome, BaseException):
                raise outcome
            videos.append(mapping.video(outcome.record, outcome.status, href))
        doc = hal.Resource()
        doc.embed("azure:video", videos)
        hal.add_paging(doc, href(VIDEOS), hal.Page(page, per_page, total))
        doc.form(forms.CREATE_VIDEO, href("/videos"))
        doc.form(forms.UPLOAD_VIDEO, href("/videos"), key="upload")
        return hal_response(doc.link("up", href("")))

    async def _listed(self, record: dict[str, Any]) -> _Current:
        try:
            return await self.current(str(record["ID"]), record)
        except GatewayError:
            return _Current(record, None, None)

    async def read_page(self, page: int, per_page: int) -> tuple[builtins.list[Any], int]:
        """One page of the connector's list, and how many videos there are in all.

        The counted OData shape ``{"@odata.count", "value"}`` is one page already. A plain
        array comes from a connector that does not count: it may or may not have honoured
        ``$skip`` and ``$top``; where its length cannot tell, the whole list is read
        without them and paged here, so no page is cut twice.
        """
        skip = (page - 1) * per_page
        params = {"$skip": str(skip), "$top": str(per_page), "$count": "true"}
        data = (await self.client.request("GET", "/api/Videos", params=params)).json()
        if isinstance(data, dict) and isinstance(data.get("value"), list):
            count = data.get("@odata.count", data.get("odata.count"))
            if count is not None:
                return data["value"][:per_page], _total(count, self.adapter.name)
            data = data["value"]
        if not isinstance(data, list):
            raise UpstreamUnavailable(
                "the backend answered with an unexpected list", backend=self.adapter.name
            )
        if len(data) > per_page:  # $top was ignored: this is every video
            return data[skip : skip + per_page], len(data)
        if skip == 0 and len(data) < per_page:  # the first page ended early: that is all
            return data, len(data)
        everything = (await self.client.request("GET", "/api/Videos")).json()
        if isinstance(everything, dict):
            everything = everything.get("value")
        if not isinstance(everything, list):
            raise UpstreamUnavailable(
                "the backend answered with an unexpected list", backend=self.adapter.name
            )
        return everything[skip : skip + per_page], len(everything)

    async def show(self, request: web.Request) -> web.Response:
        """``GET videos/{id}``: 304 when ``If-None-Match`` names the current ``ETag``."""
        doc, _ = await self.document(request.match_info["id"], self.adapter.hrefs(request))
        tag = etag(doc)
        if tag_matches(request.headers.get("If-None-Match"), tag, weak=True):
            return web.Response(status=304, headers={"ETag": tag})
        return hal_response(doc, headers={"ETag": tag})

    async def create(self, request: web.Request) -> web.Response:
        """``POST videos`` with JSON: create the video only, for a stepwise upload (201)."""
        body = await read_json(request)
        if isinstance(body, dict) and isinstance(body.get("protection"), str):
            # Any case, as the upload's query parameter takes it.
            body = {**body, "protection": protection_mode(body["protection"])}
        body = forms.CREATE_VIDEO.accept(body)
        filename = file_name(body["filename"])
        created = await self.create_upstream(filename, protection_mode(body.get("protection")))
        return await self.created_answer(str(created["ID"]), self.adapter.hrefs(request), 201)

    async def delete(self, request: web.Request) -> web.Response:
        """``DELETE videos/{id}``: 204; 412 when ``If-Match`` names an older document."""
        video_id = request.match_info["id"]
        headers = await self._checked(request, video_id)
        await self.client.request("DELETE", api_path(video_id), headers=headers)
        return web.Response(status=204)

    async def complete(self, request: web.Request) -> web.Response:
        """``POST videos/{id}/complete``: encoding starts; 202 with ``Location``."""
        video_id = request.match_info["id"]
        headers = await self._checked(request, video_id)
        await self.client.request("POST", api_path(video_id, "/MarkComplete"), headers=headers)
        return await self.created_answer(video_id, self.adapter.hrefs(request), 202)

    async def playback(self, request: web.Request) -> web.Response:
        """``GET videos/{id}/playback/{type}``: 307 to the streaming URL."""
        video_id = request.match_info["id"]
        endpoint = mapping.endpoint_type(request.match_info["type"])
        if endpoint is None:
            raise NotFound(
                f"no playback type {request.match_info['type']!r}; "
                f"there are {', '.join(mapping.ENDPOINT_TYPES)}"
            )
        response = await self.client.request(
            "GET", api_path(video_id, "/PlaybackEndpoint"), params={"endpointType": endpoint}
        )
        data = response.json()
        url = data.get("Url") if isinstance(data, dict) else data
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise UpstreamUnavailable("the backend gave no playable URL", backend=self.adapter.name)
        return web.Response(status=307, headers={"Location": url})

    async def thumbnails(self, request: web.Request) -> web.Response:
        """``GET videos/{id}/thumbnails``: none before the video is ready."""
        href = self.adapter.hrefs(request)
        return hal_response(await self._thumbnails(request.match_info["id"], href))

    async def authorization_token(self, request: web.Request) -> web.Response:
        """``GET videos/{id}/authorization-token``: AES128 videos only (400 otherwise)."""
        video_id = request.match_info["id"]
        response = await self.client.request("GET", api_path(video_id, "/AuthorizationToken"))
        token = mapping.token_text(response.json())
        if token is None:
            raise UpstreamUnavailable("the backend gave no usable token", backend=self.adapter.name)
        doc = mapping.authorization_token(token, video_id, self.adapter.hrefs(request))
        return hal_response(doc, headers={"Cache-Control": "no-store"})

    async def formats(self, request: web.Request) -> web.Response:
        """``GET formats``: the input formats the connector takes."""
        items = (await self.client.request("GET", "/api/Formats")).json_list()
        return hal_response(mapping.formats(items, self.adapter.hrefs(request)))
