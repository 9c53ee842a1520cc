"""MediaCentral assets and folders in the gateway's unified view.

Assets:

- With a text query, the platform's simple search (``search:simple-search``) sorted by
  name; the type filter, which the search cannot express, is applied to its hits here.
  Hits keep the platform's order (equal names as it has them).
- Without one, the folder tree: every folder from ``loc:root-item`` down through
  ``loc:item-by-id``, every page of each (the embedded ``loc:collection``'s ``next``,
  then the ``next`` of each ``loc:collection`` page), each asset once, sorted by title
  then id (:func:`gateway.spi.assets.sort_key`). The platform documents no listing of all assets
  and its simple search needs a term, so the tree is the one complete, stable
  sequence; walking it costs one call per page of a folder, every time, at most
  :data:`READS_AT_ONCE` at once. A folder that answers 403 or 404 is left out, with
  everything under it: a per-user login may not see every folder, and a folder deleted
  during the walk is gone. Any other failure fails the walk (and stops its other reads).
- A folder's asset children are ``folder-item`` entries: their asset is the embedded
  ``loc:referenced-object`` (asked for with ``embed=asset`` where the template takes
  it), else read where their ``loc:referenced-object`` link leads. The asset's id, not
  the folder item's, is the unified id, so that it opens through ``gw:asset``.
- Either way the page's entries (hits or folders' assets) become assets. An entry that
  carries everything a unified asset shows (``common.created`` and
  ``common.modified``, an ``aa:thumb`` link, and the folder the walk found it in) is
  mapped as it is. Any other is read (``aa:asset-by-id``, at most
  :data:`READS_AT_ONCE` at once), so that a listed asset
  is the one :meth:`UnifiedView.asset` answers: the platform's search hits and folder
  items carry only some attributes. An entry whose read answers 403 or 404 (not this
  login's to read, or deleted since it was listed) is mapped from the entry itself:
  offsets count entries, and a page short of one would make the next page repeat one.

A unified MediaCentral asset has no description: the list entries carry none, so an
asset mapped from its entry could not show one, and a listed asset must show what the
opened one shows. Its collection is the one thing a listing knows better: the folder
the walk found it in. An asset read by its id names no folder (``aa:asset`` links
``loc:referencing-items``, whose folder items lead to their folders only through more
reads), so one opened by id, or found by the search, shows none. Its thumbnail is the
gateway's ``/assets/{id}/thumbnail``, which follows ``aa:thumb`` when a client asks for
the image, not while the list is made; it is advertised only where the route can serve
it (:mod:`adapters.mediacentral.thumbnails`).

Collections are the folders, sorted by title then id; a folder's items are its asset
children in the folder's own order. Pages of the platform follow ``_links.next``, as
the CTMS services page.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urljoin

from adapters.mediacentral import relations
from adapters.mediacentral.discovery import HAL_ACCEPT, Services, link_href
from adapters.mediacentral.entries import (
    REFERENCED,
    Entry,
    Folder,
    Json,
    collection_of,
    complete,
    each,
    embedded_items,
    entry_id,
    entry_name,
    group,
    is_folder,
    of_type,
    referenced,
    route,
    timecode_ms,
    unified_type,
    window,
)
from adapters.mediacentral.faults import text_or_none
from adapters.mediacentral.resources import Resources
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
    sort_key,
)

if TYPE_CHECKING:
    from adapters.mediacentral.adapter import MediaCentralAdapter


SEARCH_METHOD: Final = (
    "q goes to the platform's simple search (search:simple-search, sorted by name), "
    "which matches the words of q in the assets' metadata; without q the folder tree is "
    "walked."
)
UPSTREAM_PAGE: Final = 100
"""The largest page the CTMS services hand out (``limit`` 1 to 100)."""


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

    async def _follow(self, href: str, url: str, services: Services) -> UpstreamResponse:
        """GET a link of the platform found in the answer from ``url``."""
        target = urljoin(url, href)
        if not services.inside(target):
            # The session's credentials go to the platform's own hosts only, and the
            # walk stays in the chosen system: another realm on the same host is another
            # catalogue.
            raise UpstreamUnavailable(
                f"backend {self.adapter.name} linked a page outside the chosen system's services",
                backend=self.adapter.name,
            )
        return await self.client.request("GET", target, headers={"Accept": HAL_ACCEPT})

    async def _pages(
        self,
        rel: str,
        query: Mapping[str, str],
        item_id: str | None = None,
        part: Callable[[Json], Mapping[str, Any]] = lambda doc: doc,
    ) -> AsyncGenerator[tuple[Json, Mapping[str, Any], str, Services], None]:
        """The service's first page, then each page its ``next`` link leads to.

        Yields each document, its ``part`` that holds the items and the ``next`` link,
        the URL it came from and the services.
        """
        doc, response, services = await self._call(rel, query, item_id)
        seen = {response.url}
        while True:
            page = part(doc)
            yield doc, page, response.url, services
            following = link_href(page, "next")
            if following is None:
                return
            target = urljoin(response.url, following)
            if target in seen:
                return  # a platform that links a page to itself has no more pages
            seen.add(target)
            response = await self._follow(target, response.url, services)
            doc = response.json_object()

    async def _asset_of(self, item: Json, url: str, services: Services) -> Json | None:
        """The asset a folder's child stands for; None when it cannot be read.

        A folder item's asset is embedded, else read where its link leads (403 or
        404: not this login's, or gone; it is left out). A child of another type is
        taken as the asset itself.
        """
        found = referenced(item)
        href = link_href(item, REFERENCED)
        if found is not None or href is None:
            return found if found is not None else item
        try:
            return (await self._follow(href, url, services)).json_object()
        except UpstreamStatusError as exc:
            if exc.upstream_status not in (403, 404, 410):
                raise
            return None

    async def _folder(self, folder_id: str | None) -> Folder:
        """A folder (the root for None) with every child, page after page."""
        rel = "loc:root-item" if folder_id is None else "loc:item-by-id"
        found: Folder | None = None
        children: list[tuple[Json, str, Services]] = []  # with the page each came in
        query = {"offset": "0", "limit": str(UPSTREAM_PAGE), "embed": "asset"}
        async with aclosing(self._pages(rel, query, folder_id, collection_of)) as pages:
            async for doc, page, url, services in pages:
                if found is None:
                    found = Folder(doc)
                for item in embedded_items(page, "loc:item"):
                    if is_folder(item):
                        found.subfolders.append(entry_id(item))
                    else:
                        children.append((item, url, services))
        assert found is not None  # _pages yields at least once
        if folder_id is not None and not is_folder(found.doc):
            raise NotFound(f"backend {self.adapter.name} has no folder {folder_id}")
        assets = await each(lambda child: self._asset_of(*child), children)
        found.assets = [Entry(a, found.id) for a in assets if a is not None and entry_id(a)]
        return found

    async def _subfolder(self, folder_id: str) -> Folder | None:
        """A folder below the root; None when it answers 403 or 404 (left out of the walk)."""
        try:
            return await self._folder(folder_id)
        except NotFound:
            return None  # deleted since its parent was read (or no folder after all)
        except UpstreamStatusError as exc:
            if exc.upstream_status != 403:
                raise
            return None  # not this login's to see: the rest of the tree still is

    async def _tree(self) -> list[Folder]:
        """Every folder the login may read, level by level from the root, each once."""
        root = await self._folder(None)
        folders, seen = [root], {root.id}
        level = [root]
        while level:
            wanted = list(dict.fromkeys(i for f in level for i in f.subfolders if i not in seen))
            seen.update(wanted)
            level = [f for f in await each(self._subfolder, wanted) if f is not None]
            folders += level
        return folders

    async def _search(
        self, text: str, kind: str | None, offset: int, limit: int
    ) -> tuple[list[Entry], bool, int | None]:
        """Hits number ``offset`` to ``offset + limit`` of those of type ``kind`` (None: all).

        Unfiltered, the search starts at ``offset`` and its count is the total; filtered,
        it is read from the start, and the total is known once it ends.
        """
        keep = of_type(kind)
        filtered = kind is not None
        start = 0 if filtered else offset
        size = UPSTREAM_PAGE if filtered else min(UPSTREAM_PAGE, limit + 1)
        query = {"search": text, "offset": str(start), "limit": str(size), "sort": "name"}
        skip = offset if filtered else 0
        out: list[Entry] = []
        counted: int | None = None
        matched = 0
        async with aclosing(self._pages("search:simple-search", query)) as pages:
            async for _, page, _, _ in pages:
                total = group(page, "paging").get("totalElements")
                if counted is None and not filtered and isinstance(total, int):
                    counted = total
                for hit in embedded_items(page, "aa:asset"):
                    if not keep(hit):
                        continue
                    if matched >= skip + limit:
                        return out, True, counted
                    if matched >= skip:
                        out.append(Entry(hit))
                    matched += 1
        return out, False, (start + matched if counted is None else counted)

    # -- mapping --------------------------------------------------------------------

    def _asset(self, doc: Json, folder: str | None = None, thumbs: bool = True) -> UnifiedAsset:
        """An asset document (or a list entry) as a unified asset, filed in ``folder``;
        its thumbnail advertised when it has one and ``thumbs`` says they can be served."""
        common = group(doc, "common")
        asset_id = entry_id(doc)
        return UnifiedAsset(
            native_id=asset_id,
            title=entry_name(doc),
            type=unified_type(doc),
            duration_ms=timecode_ms(common.get("duration")),
            created=text_or_none(common.get("created")),
            modified=text_or_none(common.get("modified")),
            native=route(relations.ASSET, asset_id),
            thumbnail=(
                route(relations.THUMBNAIL, asset_id)
                if thumbs and link_href(doc, "aa:thumb")
                else None
            ),
            collections=(folder,) if folder else (),
        )

    async def _listed(self, entry: Entry) -> UnifiedAsset:
        """A list entry as an asset: as it is when complete, else as the platform reads it.

        An asset whose read answers 403 or 404 is mapped from its entry: it was listed,
        so it counts, even if all it shows is what the entry has.
        """
        if not complete(entry):
            try:
                return await self._read(entry.id, entry.folder)
            except NotFound:
                pass  # deleted since it was listed (or no asset after all)
            except UpstreamStatusError as exc:
                if exc.upstream_status != 403:
                    raise
        thumbs = await self.adapter.thumbnails.served(entry.item)
        return self._asset(entry.item, entry.folder, thumbs)

    async def _resolved(self, entries: list[Entry]) -> list[UnifiedAsset]:
        """The listed entries as assets, in their order, every one of them."""
        return await each(self._listed, entries)

    # -- the contract ---------------------------------------------------------------

    async def assets(self, query: AssetQuery) -> AssetPage:
        """Assets matching ``query``: searched with ``q``, else from the folder tree."""
        text = (query.text or "").strip()
        if text:
            entries, more, total = await self._search(text, query.type, query.offset, query.limit)
        else:
            keep = of_type(query.type)
            found: dict[str, Entry] = {}
            for folder in await self._tree():
                for entry in folder.assets:
                    found.setdefault(entry.id, entry)  # an asset filed twice is listed once
            matches = sorted(
                (e for e in found.values() if keep(e.item)),
                key=lambda e: sort_key(entry_name(e.item), e.id),
            )
            entries, more, total = window(matches, query.offset, query.limit)
        return AssetPage(await self._resolved(entries), more=more, total=total)

    async def _read(self, native_id: str, folder: str | None) -> UnifiedAsset:
        doc, response, _ = await self._call("aa:asset-by-id", {}, native_id)
        if is_folder(doc) or not entry_id(doc):
            raise NotFound(f"backend {self.adapter.name} has no asset {native_id}")
        return self._asset(doc, folder, await self.adapter.thumbnails.served(doc, response.url))

    async def asset(self, native_id: str) -> UnifiedAsset:
        """One asset by its id (``aa:asset-by-id``); 404 when the platform has none."""
        return await self._read(native_id, None)

    async def collections(self, offset: int, limit: int) -> CollectionPage:
        """Every folder of the tree the login may read, by title then id."""
        folders = sorted(await self._tree(), key=lambda f: sort_key(entry_name(f.doc), f.id))
        page, more, total = window(folders, offset, limit)
        return CollectionPage([f.collection() for f in page], more=more, total=total)

    async def collection(self, native_id: str) -> UnifiedCollection:
        """One folder by its id; 404 for an asset's id or an unknown one."""
        return (await self._folder(native_id)).collection()

    async def collection_items(self, native_id: str, offset: int, limit: int) -> AssetPage:
        """A folder's assets (not its subfolders) in the folder's order."""
        folder = await self._folder(native_id)
        entries, more, total = window(folder.assets, offset, limit)
        return AssetPage(await self._resolved(entries), more=more, total=total)
