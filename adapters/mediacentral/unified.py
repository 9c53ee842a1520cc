"""MediaCentral assets and folders in the gateway's unified view.

Assets:

- With a text query, the platform's simple search (``search:simple-search``) sorted by
  name; the type filter, which the search cannot express, is applied to its hits here.
  Hits keep the platform's order (equal names as it has them).
- Without one, the folder tree: every folder from ``loc:root-item`` down through
  ``loc:item-by-id``, each folder's asset items once, sorted by title then id
  (:func:`gateway.spi.assets.sort_key`). The platform documents no listing of all assets
  and its simple search needs a term, so the tree is the one complete, stable
  sequence; walking it costs one call per page of a folder, every time, at most
  :data:`READS_AT_ONCE` at once. A folder that answers 403 or 404 is left out, with
  everything under it: a per-user login may not see every folder, and a folder deleted
  during the walk is gone. Any other failure fails the walk (and stops its other reads).
- Either way the page's entries (hits or folder items) become assets. An entry that
  carries everything a unified asset shows (``common.created`` and
  ``common.modified``, an ``aa:thumbnail`` link and its folder: a ``loc:parent`` link,
  or the folder the walk found it in) is mapped as it is. Any other is read
  (``aa:asset-by-id``, at most :data:`READS_AT_ONCE` at once), so that a listed asset
  is the one :meth:`UnifiedView.asset` answers: the platform's search hits and folder
  items carry only some attributes. An entry whose read answers 403 or 404 (not this
  login's to read, or deleted since it was listed) is mapped from the entry itself:
  offsets count entries, and a page short of one would make the next page repeat one.

A unified MediaCentral asset has no description: the list entries carry none, so an
asset mapped from its entry could not show one, and a listed asset must be the opened one.

Collections are the folders, sorted by title then id; a folder's items are its asset
children in the folder's own order. Pages of the platform follow ``_links.next``, as
the CTMS services page.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import urljoin

from adapters.mediacentral import relations
from adapters.mediacentral.discovery import HAL_ACCEPT, Services, link_href, split_origin
from adapters.mediacentral.faults import text_or_none
from adapters.mediacentral.resources import Resources
from adapters.mediacentral.rewrite import Rewriter
from gateway.spi import (
    AssetPage,
    AssetQuery,
    CollectionPage,
    NotFound,
    UnifiedAsset,
    UnifiedCollection,
    UpstreamResponse,
    UpstreamStatusError,
    UpstreamUnavailable,
    path_segment,
    sort_key,
)

if TYPE_CHECKING:
    from adapters.mediacentral.adapter import MediaCentralAdapter

Json = dict[str, Any]
T = TypeVar("T")
R = TypeVar("R")

SEARCH_METHOD: Final = (
    "q goes to the platform's simple search (search:simple-search, sorted by name), "
    "which matches the words of q in the assets' metadata; without q the folder tree is "
    "walked."
)
UPSTREAM_PAGE: Final = 100
"""The largest page the CTMS services hand out (``limit`` 1 to 100)."""
READS_AT_ONCE: Final = 8
"""Folder or asset reads of one list under way at once."""
FOLDER: Final = "folder"
TYPES: Final = {
    "masterclip": "video",
    "subclip": "video",
    "sequence": "video",
    "group": "group",
}
"""Interplay asset types (``base.type``) → unified types; any other type is ``other``."""
FRAMES_PER_SECOND: Final = 25.0
"""The documents give durations as SMPTE timecodes without their rate: PAL's is assumed."""
DROP_FRAME_RATE: Final = 30000 / 1001
_TIMECODE: Final = re.compile(r"(\d+):(\d{2}):(\d{2})([:;.,])(\d{2,3})")


def timecode_ms(value: Any) -> int | None:
    """Milliseconds of an ``HH:MM:SS:FF`` duration; ``;`` marks NTSC drop-frame timecode."""
    found = _TIMECODE.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        return None
    hours, minutes, seconds, separator, frames = found.groups()
    h, m, s, f = int(hours), int(minutes), int(seconds), int(frames)
    if separator in ";,":
        # Drop-frame labels skip frames 0 and 1 of each minute but every tenth.
        total_minutes = 60 * h + m
        count = (3600 * h + 60 * m + s) * 30 + f - 2 * (total_minutes - total_minutes // 10)
        return round(count * 1000 / DROP_FRAME_RATE)
    return round(((3600 * h + 60 * m + s) + f / FRAMES_PER_SECOND) * 1000)


def _group(doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The attribute group (or other object) ``name`` of a document; empty if it has none."""
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def _embedded(doc: Mapping[str, Any], rel: str) -> list[Json]:
    """The items embedded under ``rel`` (one or a list) that have an id."""
    value = _group(doc, "_embedded").get(rel)
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict) and _id(item)]


def _id(item: Mapping[str, Any]) -> str:
    """An item's ``base.id`` as text; empty when it has none."""
    value = _group(item, "base").get("id")
    return str(value) if value not in (None, "") else ""


def _name(item: Mapping[str, Any]) -> str:
    """An item's title: ``common.name``, else its id."""
    return str(_group(item, "common").get("name") or _id(item))


def _is_folder(item: Mapping[str, Any]) -> bool:
    """Whether the item is a folder (``base.type`` folder)."""
    return str(_group(item, "base").get("type", "")).lower() == FOLDER


def unified_type(item: Mapping[str, Any]) -> str:
    """The unified type of a CTMS item from its ``base.type``."""
    return TYPES.get(str(_group(item, "base").get("type", "")).lower(), "other")


def _route(template: str, item_id: str) -> str:
    """The gateway path of a relation's route (``template``) for one item, query left off."""
    return template.split("{?", 1)[0].replace("{id}", path_segment(item_id))


@dataclass(frozen=True, slots=True)
class _Entry:
    """An asset as a list shows it (a search hit or a folder's item), and where it came."""

    item: Json
    url: str
    """The answer it came in: its hrefs are relative to that."""
    services: Services
    folder: str | None = None
    """The folder the walk found it in; None for a search hit."""

    @property
    def id(self) -> str:
        """The asset's id."""
        return _id(self.item)


@dataclass(slots=True)
class _Folder:
    """One folder as the walk saw it: its first page and all its children."""

    doc: Json
    children: list[_Entry] = field(default_factory=list)

    @property
    def assets(self) -> list[_Entry]:
        """The children that are no folders, in the folder's order."""
        return [c for c in self.children if not _is_folder(c.item)]

    @property
    def subfolders(self) -> list[str]:
        """The ids of the children that are folders."""
        return [c.id for c in self.children if _is_folder(c.item)]

    def collection(self) -> UnifiedCollection:
        """The folder as a unified collection; its count is its assets'."""
        common = _group(self.doc, "common")
        folder_id = _id(self.doc)
        return UnifiedCollection(
            native_id=folder_id,
            title=_name(self.doc),
            description=text_or_none(common.get("description")),
            created=text_or_none(common.get("created")),
            modified=text_or_none(common.get("modified")),
            native=_route(relations.ITEM, folder_id),
            item_count=len(self.assets),
        )


def _window(items: Sequence[T], offset: int, limit: int) -> tuple[list[T], bool, int]:
    """Items ``offset`` to ``offset + limit``, whether more follow, and how many there are."""
    offset, limit = max(offset, 0), max(limit, 0)
    return list(items[offset : offset + limit]), len(items) > offset + limit, len(items)


def _complete(entry: _Entry) -> bool:
    """Whether the entry carries everything its unified asset shows (no read needed)."""
    common = _group(entry.item, "common")
    folder = entry.folder or link_href(entry.item, "loc:parent")
    return (
        "created" in common
        and "modified" in common
        and link_href(entry.item, "aa:thumbnail") is not None
        and bool(folder)
    )


async def _each(read: Callable[[T], Awaitable[R]], args: Sequence[T]) -> list[R]:
    """``read`` of every one of ``args``, at most :data:`READS_AT_ONCE` at once, in order.

    The first failure stops the reads still under way and is raised as it is.
    """
    slots = asyncio.Semaphore(READS_AT_ONCE)

    async def one(arg: T) -> R:
        async with slots:
            return await read(arg)

    failure: BaseException | None = None
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(arg)) for arg in args]
    except BaseExceptionGroup as failed:
        failure = failed.exceptions[0]
    if failure is not None:
        # Raised outside the handler, so it keeps its own cause and context.
        raise failure
    return [task.result() for task in tasks]


class UnifiedView:
    """The unified-view methods of one MediaCentral backend."""

    def __init__(self, adapter: MediaCentralAdapter) -> None:
        self.adapter = adapter
        self.client = adapter.client
        self.resources = Resources(adapter)

    # -- upstream reads -------------------------------------------------------------

    async def _call(
        self, rel: str, query: Mapping[str, str], item_id: str | None = None
    ) -> tuple[Json, UpstreamResponse, Services]:
        """A service's document; the platform's 404 for an id is the gateway's 404."""
        try:
            response, services = await self.resources.call(rel, query, item_id)
        except UpstreamStatusError as exc:
            if item_id is not None and exc.upstream_status in (404, 410):
                raise NotFound(f"backend {self.adapter.name} has no item {item_id}") from exc
            raise
        return response.json_object(), response, services

    async def _pages(
        self, rel: str, query: Mapping[str, str], item_id: str | None = None
    ) -> AsyncGenerator[tuple[Json, UpstreamResponse, Services], None]:
        """The service's first page, then each page its ``next`` link leads to."""
        doc, response, services = await self._call(rel, query, item_id)
        seen = {response.url}
        while True:
            yield doc, response, services
            following = link_href(doc, "next")
            if following is None:
                return
            url = urljoin(response.url, following)
            if url in seen:
                return  # a platform that links a page to itself has no more pages
            if split_origin(url)[0] not in services.origins:
                # The session's credentials go to the platform's own hosts only.
                raise UpstreamUnavailable(
                    f"backend {self.adapter.name} linked a next page outside the platform",
                    backend=self.adapter.name,
                )
            seen.add(url)
            response = await self.client.request("GET", url, headers={"Accept": HAL_ACCEPT})
            doc = response.json_object()

    async def _folder(self, folder_id: str | None) -> _Folder:
        """A folder (the root for None) with every child, page after page."""
        rel = "loc:root-item" if folder_id is None else "loc:item-by-id"
        found: _Folder | None = None
        query = {"offset": "0", "limit": str(UPSTREAM_PAGE)}
        async with aclosing(self._pages(rel, query, folder_id)) as pages:
            async for doc, response, services in pages:
                if found is None:
                    found = _Folder(doc)
                found.children += [
                    _Entry(item, response.url, services, _id(found.doc))
                    for item in _embedded(doc, "loc:item")
                ]
        assert found is not None  # _pages yields at least once
        if folder_id is not None and not _is_folder(found.doc):
            raise NotFound(f"backend {self.adapter.name} has no folder {folder_id}")
        return found

    async def _subfolder(self, folder_id: str) -> _Folder | None:
        """A folder below the root; None when it answers 403 or 404 (left out of the walk)."""
        try:
            return await self._folder(folder_id)
        except NotFound:
            return None  # deleted since its parent was read (or no folder after all)
        except UpstreamStatusError as exc:
            if exc.upstream_status != 403:
                raise
            return None  # not this login's to see: the rest of the tree still is

    async def _tree(self) -> list[_Folder]:
        """Every folder the login may read, level by level from the root, each once."""
        root = await self._folder(None)
        folders, seen = [root], {_id(root.doc)}
        level = [root]
        while level:
            wanted = list(dict.fromkeys(i for f in level for i in f.subfolders if i not in seen))
            seen.update(wanted)
            level = [f for f in await _each(self._subfolder, wanted) if f is not None]
            folders += level
        return folders

    async def _search(
        self, text: str, kind: str | None, offset: int, limit: int
    ) -> tuple[list[_Entry], bool, int | None]:
        """Hits number ``offset`` to ``offset + limit`` of those of type ``kind`` (None: all).

        Unfiltered, the search starts at ``offset`` and its count is the total; filtered,
        it is read from the start, and the total is known once it ends.
        """
        keep = _of_type(kind)
        filtered = kind is not None
        start = 0 if filtered else offset
        size = UPSTREAM_PAGE if filtered else min(UPSTREAM_PAGE, limit + 1)
        query = {"search": text, "offset": str(start), "limit": str(size), "sort": "name"}
        skip = offset if filtered else 0
        out: list[_Entry] = []
        counted: int | None = None
        matched = 0
        async with aclosing(self._pages("search:simple-search", query)) as pages:
            async for doc, response, services in pages:
                total = _group(doc, "paging").get("totalElements")
                if counted is None and not filtered and isinstance(total, int):
                    counted = total
                for hit in _embedded(doc, "aa:asset"):
                    if not keep(hit):
                        continue
                    if matched >= skip + limit:
                        return out, True, counted
                    if matched >= skip:
                        out.append(_Entry(hit, response.url, services))
                    matched += 1
        return out, False, (start + matched if counted is None else counted)

    # -- mapping --------------------------------------------------------------------

    def _asset(
        self, doc: Json, url: str, services: Services, folder: str | None = None
    ) -> UnifiedAsset:
        """An asset document (or a list entry) as a unified asset.

        ``url`` is where the document came from; ``folder`` is the folder to show when the
        document links none (``loc:parent``).
        """
        rewriter = Rewriter(services, "", url)
        common = _group(doc, "common")
        asset_id = _id(doc)
        thumbnail = link_href(doc, "aa:thumbnail")
        parent = link_href(doc, "loc:parent")
        if parent:
            folder = _item_id(services, url, parent)
        return UnifiedAsset(
            native_id=asset_id,
            title=_name(doc),
            type=unified_type(doc),
            duration_ms=timecode_ms(common.get("duration")),
            created=text_or_none(common.get("created")),
            modified=text_or_none(common.get("modified")),
            native=_route(relations.ASSET, asset_id),
            thumbnail=rewriter.href(thumbnail) if thumbnail else None,
            collections=(folder,) if folder else (),
        )

    async def _listed(self, entry: _Entry) -> UnifiedAsset:
        """A list entry as an asset: as it is when complete, else as the platform reads it.

        An asset whose read answers 403 or 404 is mapped from its entry: it was listed,
        so it counts, even if all it shows is what the entry has.
        """
        if not _complete(entry):
            try:
                return await self.asset(entry.id)
            except NotFound:
                pass  # deleted since it was listed (or no asset after all)
            except UpstreamStatusError as exc:
                if exc.upstream_status != 403:
                    raise
        return self._asset(entry.item, entry.url, entry.services, entry.folder)

    async def _resolved(self, entries: list[_Entry]) -> list[UnifiedAsset]:
        """The listed entries as assets, in their order, every one of them."""
        return await _each(self._listed, entries)

    # -- the contract ---------------------------------------------------------------

    async def assets(self, query: AssetQuery) -> AssetPage:
        """Assets matching ``query``: searched with ``q``, else from the folder tree."""
        text = (query.text or "").strip()
        if text:
            entries, more, total = await self._search(text, query.type, query.offset, query.limit)
        else:
            keep = _of_type(query.type)
            found: dict[str, _Entry] = {}
            for folder in await self._tree():
                for entry in folder.assets:
                    found.setdefault(entry.id, entry)  # an asset filed twice is listed once
            matches = sorted(
                (e for e in found.values() if keep(e.item)),
                key=lambda e: sort_key(_name(e.item), e.id),
            )
            entries, more, total = _window(matches, query.offset, query.limit)
        return AssetPage(await self._resolved(entries), more=more, total=total)

    async def asset(self, native_id: str) -> UnifiedAsset:
        """One asset by its id (``aa:asset-by-id``); 404 when the platform has none."""
        doc, response, services = await self._call("aa:asset-by-id", {}, native_id)
        if _is_folder(doc) or not _id(doc):
            raise NotFound(f"backend {self.adapter.name} has no asset {native_id}")
        return self._asset(doc, response.url, services)

    async def collections(self, offset: int, limit: int) -> CollectionPage:
        """Every folder of the tree the login may read, by title then id."""
        folders = sorted(await self._tree(), key=lambda f: sort_key(_name(f.doc), _id(f.doc)))
        page, more, total = _window(folders, offset, limit)
        return CollectionPage([f.collection() for f in page], more=more, total=total)

    async def collection(self, native_id: str) -> UnifiedCollection:
        """One folder by its id; 404 for an asset's id or an unknown one."""
        return (await self._folder(native_id)).collection()

    async def collection_items(self, native_id: str, offset: int, limit: int) -> AssetPage:
        """A folder's assets (not its subfolders) in the folder's order."""
        folder = await self._folder(native_id)
        entries, more, total = _window(folder.assets, offset, limit)
        return AssetPage(await self._resolved(entries), more=more, total=total)


def _of_type(kind: str | None) -> Callable[[Json], bool]:
    """Whether an item is of unified type ``kind`` (None: every item is)."""
    return lambda item: kind is None or unified_type(item) == kind


def _item_id(services: Services, url: str, href: str) -> str | None:
    """The id a ``loc:item-by-id`` URL was expanded with, if ``href`` is one."""
    service = services.get("loc:item-by-id")
    if service is None or not service.matcher.path_variables:
        return None
    _, rest = split_origin(urljoin(url, href))
    path, _, query = rest.split("#", 1)[0].partition("?")
    values = service.matcher.match(path, query)
    return values.get(service.matcher.path_variables[0]) if values else None
