"""Videos of an Azure connector backend: list, show, create, complete, delete, play back.

Each handler turns one gateway request into connector calls and the answers into HAL.
A video's status comes from the connector's Status resource, so a shown video costs two
calls (four once ready: its record again, and its thumbnails). The video's ``ETag`` is
the connector's own, passed through: the connector changes it with every change of the
video, its status included, and the gateway's document depends on nothing else that can
change (thumbnails are fixed once a video is ready). ``If-None-Match`` on GET and
``If-Match`` on DELETE and on completion are passed on, so 304 and 412 come from the
connector.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from aiohttp import web

from adapters.azure import mapping
from adapters.azure.mapping import seg, video_path
from adapters.azure.relations import VIDEOS
from adapters.base import Href
from gateway import hal
from gateway.bodies import read_json
from gateway.errors import BadRequest, NotFound, UpstreamUnavailable
from gateway.params import page_params
from gateway.routing import hal_response
from gateway.upstream import UpstreamResponse

if TYPE_CHECKING:
    from adapters.azure.adapter import AzureAdapter

PROTECTION_MODES: Final = ("None", "AES128")
_CONDITIONS: Final = ("If-Match", "If-None-Match")


def api_path(video_id: str, tail: str = "") -> str:
    """The connector path of a video (and of one of its resources)."""
    return f"/api/Videos/{seg(video_id)}{tail}"


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


def _object(response: UpstreamResponse) -> dict[str, Any]:
    data = response.json()
    if not isinstance(data, dict):
        raise UpstreamUnavailable(
            "the backend answered with an unexpected document", backend=response.backend
        )
    return data


def _conditions(request: web.Request) -> dict[str, str]:
    return {name: request.headers[name] for name in _CONDITIONS if name in request.headers}


class Videos:
    """The handlers of one Azure backend's videos."""

    def __init__(self, adapter: AzureAdapter) -> None:
        self.adapter = adapter
        self.client = adapter.client

    # -- connector calls ----------------------------------------------------------

    async def record(
        self, video_id: str, headers: Mapping[str, str] | None = None
    ) -> UpstreamResponse:
        """``GET /api/Videos/{id}``; a 304 comes back as it is."""
        return await self.client.request("GET", api_path(video_id), headers=headers)

    async def status(self, video_id: str) -> dict[str, Any] | None:
        """The Status body; None when the video vanished meanwhile."""
        response = await self.client.request("GET", api_path(video_id, "/Status"), ok=(404,))
        return None if response.status == 404 else _object(response)

    async def create_upstream(self, filename: str, protection: str) -> dict[str, Any]:
        """Create a video; the connector's answer, with its ``ID`` and ``UploadUri``."""
        body = {"OriginalFileName": filename, "ContentProtectionMode": protection}
        created = _object(await self.client.request("POST", "/api/Videos", json_body=body))
        if not created.get("ID"):
            raise UpstreamUnavailable(
                "the backend did not say which ID it gave", backend=self.adapter.name
            )
        return created

    async def document(
        self, response: UpstreamResponse, video_id: str, href: Href
    ) -> tuple[hal.Resource, str | None]:
        """The video of a ``GET /api/Videos/{id}`` answer as HAL with its status, and its ETag.

        The record is read before the status, so while the video changes its tag is never
        newer than what the document shows (a stale tag costs a full answer, never a wrong
        304). A finished video cannot change any more: its record is read again after the
        status, as it may have finished between the two reads.
        """
        status = await self.status(video_id)
        state = status.get("State") if status else None
        if state in mapping.FINISHED:
            response = await self.record(video_id)
        thumbnails = await self._thumbnails(video_id, href) if state == mapping.READY else None
        doc = mapping.video(_object(response), status, href, thumbnails)
        return doc, response.headers.get("ETag")

    async def _thumbnails(self, video_id: str, href: Href) -> hal.Resource:
        response = await self.client.request("GET", api_path(video_id, "/Thumbnails"))
        items = response.json()
        return mapping.thumbnails(items if isinstance(items, list) else [], video_id, href)

    async def created_answer(self, video_id: str, href: Href, status: int) -> web.Response:
        """The video after a create or upload, with ``Location``."""
        doc, _ = await self.document(await self.record(video_id), video_id, href)
        return hal_response(doc, status=status, headers={"Location": href(video_path(video_id))})

    # -- handlers -----------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        """``GET videos``: one page, oldest first, each video with its status."""
        href = self.adapter.hrefs(request)
        page, per_page = page_params(request)
        params = {"$skip": str((page - 1) * per_page), "$top": str(per_page), "$count": "true"}
        data = (await self.client.request("GET", "/api/Videos", params=params)).json()
        if isinstance(data, list):  # a connector that ignores the OData options
            items, total = data[(page - 1) * per_page : page * per_page], len(data)
        elif isinstance(data, dict) and isinstance(data.get("value"), list):
            items, total = data["value"], int(data.get("@odata.count") or len(data["value"]))
        else:
            raise UpstreamUnavailable(
                "the backend answered with an unexpected list", backend=self.adapter.name
            )
        videos = [v for v in items if isinstance(v, dict) and v.get("ID")]
        statuses = await asyncio.gather(*(self.status(str(v["ID"])) for v in videos))
        doc = hal.Resource()
        doc.embed(
            "azure:video",
            [mapping.video(v, s, href) for v, s in zip(videos, statuses, strict=True)],
        )
        hal.add_paging(doc, href(VIDEOS), hal.Page(page, per_page, total))
        return hal_response(doc.link("up", href("")))

    async def show(self, request: web.Request) -> web.Response:
        """``GET videos/{id}``: 304 when ``If-None-Match`` names the current ``ETag``."""
        href = self.adapter.hrefs(request)
        video_id = request.match_info["id"]
        response = await self.record(video_id, _conditions(request))
        etag = response.headers.get("ETag")
        if response.status == 304:
            return web.Response(status=304, headers={"ETag": etag} if etag else None)
        doc, etag = await self.document(response, video_id, href)
        return hal_response(doc, headers={"ETag": etag} if etag else None)

    async def create(self, request: web.Request) -> web.Response:
        """``POST videos`` with JSON: create the video only, for a stepwise upload (201)."""
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("filename"), str):
            raise BadRequest('the body must be {"filename": "...", "protection": "None"}')
        protection = body.get("protection")
        if protection is not None and not isinstance(protection, str):
            raise BadRequest("protection must be a string")
        filename = file_name(body["filename"])
        created = await self.create_upstream(filename, protection_mode(protection))
        return await self.created_answer(str(created["ID"]), self.adapter.hrefs(request), 201)

    async def delete(self, request: web.Request) -> web.Response:
        """``DELETE videos/{id}``: 204; ``If-Match`` is passed on."""
        await self.client.request(
            "DELETE", api_path(request.match_info["id"]), headers=_conditions(request)
        )
        return web.Response(status=204)

    async def complete(self, request: web.Request) -> web.Response:
        """``POST videos/{id}/complete``: encoding starts; 202 with ``Location``."""
        video_id = request.match_info["id"]
        await self.client.request(
            "POST", api_path(video_id, "/MarkComplete"), headers=_conditions(request)
        )
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
        doc = mapping.authorization_token(response.json(), video_id, self.adapter.hrefs(request))
        return hal_response(doc, headers={"Cache-Control": "no-store"})

    async def formats(self, request: web.Request) -> web.Response:
        """``GET formats``: the input formats the connector takes."""
        data = (await self.client.request("GET", "/api/Formats")).json()
        items = data if isinstance(data, list) else []
        return hal_response(mapping.formats(items, self.adapter.hrefs(request)))
