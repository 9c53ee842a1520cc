"""Azure connector videos in the gateway's unified view.

Every video is an asset: of type ``video``, or ``audio`` when its original file name
says it holds sound only; its title is its ``OriginalFileName``. The connector has no
search and no collections: the whole video list is read (page by page) at every call,
filtered here (every word of ``q`` in the title, in any case:
:func:`gateway.spi.assets.matches`), and sorted by title then ``ID``
(:func:`gateway.spi.assets.sort_key`), so every call lists the same sequence.

The assets of the page asked for are then read as a single video is
(:meth:`Videos.current`: its status, and its record again once finished), plus, for a
ready video, its Thumbnails resource, whose first frame is the asset's thumbnail: one
call more per ready video, for an image a client shows as it is. A video whose reads
fail (deleted since the list was read, or a status the connector cannot give) is still
listed, from its list record, without playback or thumbnail: offsets count the list,
and a page short of one would make the next page repeat one. Playback is the gateway's
HLS playback route, the format most players take. ``created`` and ``modified`` stay
empty: the connector documents no such fields.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

from adapters.azure import mapping
from adapters.azure.mapping import video_path
from adapters.azure.videos import Videos, api_path
from gateway.spi import (
    AssetPage,
    AssetQuery,
    GatewayError,
    NotFound,
    UnifiedAsset,
    UpstreamStatusError,
    matches,
    sort_key,
)

if TYPE_CHECKING:
    from adapters.azure.adapter import AzureAdapter

SEARCH_METHOD: Final = (
    "The connector has no search: the gateway reads its whole video list and keeps the "
    "videos whose OriginalFileName holds every word of q, in any case, listed by it."
)
UPSTREAM_PAGE: Final = 100
"""Videos asked for per call while the whole list is read."""
PLAYBACK: Final = "HLS"


def _filename(record: dict[str, Any]) -> str:
    """The video's ``OriginalFileName``; empty when it has none."""
    return str(record.get("OriginalFileName") or "")


def _title(record: dict[str, Any]) -> str:
    """The asset's title: the file name, else the video's ``ID``."""
    return _filename(record) or str(record.get("ID", ""))


def unified_type(record: dict[str, Any]) -> str:
    """``audio`` for a file of sound only, else ``video``."""
    return "audio" if mapping.is_audio(_filename(record)) else "video"


def _kept(record: dict[str, Any], text: str, kind: str | None) -> bool:
    """Whether the title holds every word of ``text`` (any case) and the type is ``kind``."""
    return matches(text, _title(record)) and kind in (None, unified_type(record))


def _duration_ms(value: Any) -> int | None:
    """The connector's ``Duration`` (seconds) in milliseconds; None for no usable number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return round(value * 1000)


class UnifiedVideos:
    """The unified-view methods of one Azure backend."""

    def __init__(self, adapter: AzureAdapter) -> None:
        self.adapter = adapter
        self.videos = Videos(adapter)

    async def _records(self) -> list[dict[str, Any]]:
        """Every video record, each once (a video added meanwhile may shift the pages)."""
        found: dict[str, dict[str, Any]] = {}
        number = 1
        while True:
            items, total = await self.videos.read_page(number, UPSTREAM_PAGE)
            for item in items:
                if isinstance(item, dict) and item.get("ID"):
                    found.setdefault(str(item["ID"]), item)
            if not items or number * UPSTREAM_PAGE >= total:
                return list(found.values())
            number += 1

    async def _thumbnail(self, video_id: str) -> str | None:
        """The first frame's image URL; None when the connector gives none."""
        try:
            response = await self.videos.client.request("GET", api_path(video_id, "/Thumbnails"))
            frames = mapping.ordered_frames(response.json_list())
        except GatewayError:
            return None  # the asset is still worth listing without its picture
        return str(frames[0]["Url"]) if frames else None

    async def _asset(self, video_id: str, listed: dict[str, Any] | None = None) -> UnifiedAsset:
        """A video as an asset, read as a single video is; ``listed`` is its list record."""
        try:
            now = await self.videos.current(video_id, listed)
        except UpstreamStatusError as exc:
            if exc.upstream_status not in (404, 410):
                raise
            raise NotFound(f"backend {self.adapter.name} has no video {video_id}") from exc
        state = now.status.get("State") if now.status else None
        ready = state == mapping.READY
        thumbnail = await self._thumbnail(video_id) if ready else None
        return self._mapped(now.record, ready, thumbnail)

    async def _listed(self, record: dict[str, Any]) -> UnifiedAsset:
        """A listed video as an asset; from its list record alone when it cannot be read.

        A 404 (deleted since the list was read) is no exception: the video was listed, so
        it counts. As in the connector's own list, one unreadable state costs its links
        only.
        """
        try:
            return await self._asset(str(record["ID"]), record)
        except GatewayError:
            return self._mapped(record, False, None)

    def _mapped(self, record: dict[str, Any], ready: bool, thumbnail: str | None) -> UnifiedAsset:
        """A video record as an asset; playback only for a ``ready`` video."""
        video_id = str(record.get("ID", ""))
        base = video_path(video_id)
        return UnifiedAsset(
            native_id=video_id,
            title=_title(record),
            type=unified_type(record),
            duration_ms=_duration_ms(record.get("Duration")),
            native=base,
            thumbnail=thumbnail,
            playback=f"{base}/playback/{PLAYBACK}" if ready else None,
        )

    async def assets(self, query: AssetQuery) -> AssetPage:
        """Videos whose file name holds the words of ``q``, by file name then id."""
        if query.type not in (None, "video", "audio"):
            return AssetPage([], more=False, total=0)  # no such videos: no call needed
        text = query.text or ""
        found = sorted(
            (r for r in await self._records() if _kept(r, text, query.type)),
            key=lambda r: sort_key(_title(r), str(r["ID"])),
        )
        offset, limit = max(query.offset, 0), max(query.limit, 0)
        page = found[offset : offset + limit]
        items = list(await asyncio.gather(*(self._listed(r) for r in page)))
        return AssetPage(items, more=len(found) > offset + limit, total=len(found))

    async def asset(self, native_id: str) -> UnifiedAsset:
        """One video by its ``ID``; 404 when the connector has none."""
        return await self._asset(native_id)
