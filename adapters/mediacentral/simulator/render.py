"""HAL documents of the simulated services: folders, their collections, folder items, assets.

Every href is absolute on the host the caller reached, under the current path segment of
the system the request named (``/apis/avid.pam;version=1;realm=<systemID>``), so moving
the services (:meth:`MediaCentralSimulator.relocate_services`) changes every href at once.

Shapes follow Avid's CTMS pages and sample clients: a folder embeds its children in a
``loc:collection`` with its own ``paging`` and ``next``; an asset in a folder is a
``folder-item`` linking its asset as ``loc:referenced-object`` (embedded when asked
with ``embed=asset``, and always when the item is read by itself); an asset links
``aa:thumb`` and ``loc:referencing-items``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web

from adapters.mediacentral.simulator.plumbing import curies, origin, paged_links, platform_of
from adapters.mediacentral.simulator.state import (
    Asset,
    Catalogue,
    Folder,
    FolderItem,
    Json,
    Platform,
)


@dataclass(frozen=True, slots=True)
class Here:
    """One request to one system's services: where the hrefs of its answer lead."""

    platform: Platform
    catalogue: Catalogue
    base: str
    """The system's service URL: origin, ``/apis/`` and the service segment."""

    @classmethod
    def of(cls, request: web.Request) -> Here:
        """The system the request's service segment names; a bare 404 for any other."""
        platform = platform_of(request)
        catalogue = platform.catalogue_at(request.match_info["service"])
        if catalogue is None:
            raise web.HTTPNotFound()
        return cls(platform, catalogue, f"{origin(request)}/apis/{platform.segment(catalogue)}")

    def elsewhere(self, key: str) -> Here | None:
        """The other system ``key`` links into (:meth:`MediaCentralSimulator.link_away`)."""
        index = self.platform.links_away.get(key)
        if index is None:
            return None
        other = self.platform.catalogues[index]
        return Here(
            self.platform,
            other,
            self.base.split("/apis/", 1)[0] + "/apis/" + self.platform.segment(other),
        )

    def root_url(self) -> str:
        """The root folder (``loc:root-item``)."""
        return self.base + "/locations/folders"

    def item_url(self, item_id: str) -> str:
        """A location item (``loc:item-by-id``): a folder or a folder item."""
        return f"{self.base}/locations/items/{quote(item_id, safe='')}"

    def folder_url(self, folder: Folder) -> str:
        """Where a folder is read: the root item for the root."""
        return self.root_url() if folder.parent is None else self.item_url(folder.id)

    def collection_url(self, folder_id: str) -> str:
        """A folder's ``loc:collection``, the pages after its first."""
        return self.item_url(folder_id) + "/collection"

    def asset_url(self, asset_id: str) -> str:
        """An asset (``aa:asset-by-id``)."""
        return f"{self.base}/assets/{quote(asset_id, safe='')}"

    def base_attributes(self, item_id: str, item_type: str) -> Json:
        """The ``base`` attribute group every CTMS item carries."""
        system = self.catalogue.system
        return {
            "id": item_id,
            "type": item_type,
            "systemID": system.system_id,
            "systemType": system.system_type,
        }

    def embedded(self, items: list[Json]) -> Any:
        """Embedded items as the platform gives them: one alone may be an object."""
        if len(items) == 1 and self.platform.single_item == "object":
            return items[0]
        return items


def asset_summary(here: Here, asset: Asset) -> Json:
    """An asset as a search hit."""
    return {
        "base": here.base_attributes(asset.id, asset.type),
        "common": {"name": asset.name, "duration": asset.duration, "modified": asset.modified},
        "_links": {"self": {"href": here.asset_url(asset.id)}},
    }


def asset_doc(here: Here, asset: Asset, *, with_curies: bool = True) -> Json:
    """``aa:asset-by-id``: the asset with its attribute groups."""
    url = here.asset_url(asset.id)
    links: Json = {
        "self": {"href": url},
        "aa:thumb": {"href": url + "/thumbs"},
        "loc:referencing-items": {"href": url + "/referencing-items"},
    }
    if with_curies:
        links["curies"] = curies("aa", "loc")
    return {
        "base": here.base_attributes(asset.id, asset.type),
        "common": {
            "name": asset.name,
            "duration": asset.duration,
            "created": asset.created,
            "modified": asset.modified,
        },
        "_links": links,
    }


def folder_item_doc(here: Here, item: FolderItem, *, embed: bool) -> Json:
    """An asset's entry in a folder, its asset embedded when ``embed``."""
    asset = here.catalogue.assets[item.asset]
    away = here.elsewhere(asset.id)
    target = here.asset_url(asset.id)
    if away is not None:
        target = away.asset_url(next(iter(away.catalogue.assets)))
    doc: Json = {
        "base": here.base_attributes(item.id, "folder-item"),
        "common": {"name": asset.name},
        "_links": {
            "self": {"href": here.item_url(item.id)},
            "loc:referenced-object": {"href": target},
        },
    }
    if embed and away is None:
        doc["_embedded"] = {"loc:referenced-object": asset_doc(here, asset, with_curies=False)}
    return doc


def _child(here: Here, child_id: str, embed: bool) -> Json:
    folder = here.catalogue.folders.get(child_id)
    if folder is None:
        return folder_item_doc(here, here.catalogue.items[child_id], embed=embed)
    return {
        "base": here.base_attributes(folder.id, "folder"),
        "common": {"name": folder.name},
        "_links": {
            "self": {"href": here.item_url(folder.id)},
            "loc:collection": {"href": here.collection_url(folder.id)},
        },
    }


def collection_doc(
    here: Here, folder: Folder, offset: int, limit: int, *, embed: bool, insist: bool
) -> Json:
    """One page of a folder's children: a ``loc:collection`` with its own paging."""
    page = folder.children[offset : offset + limit]
    kept = ("embed=asset&" if embed else "") + ("insist=totalElements&" if insist else "")
    links = paged_links(here.collection_url(folder.id), offset, limit, len(folder.children), kept)
    away = here.elsewhere(folder.id)
    if away is not None and "next" in links:
        # The other system's folder of the same path, if it has one; same host either way.
        links["next"]["href"] = links["next"]["href"].replace(here.base, away.base, 1)
    links["loc:item"] = [{"href": here.item_url(child)} for child in page]
    paging: Json = {"offset": offset, "limit": limit, "elements": len(page)}
    if insist:
        paging["totalElements"] = len(folder.children)
    doc: Json = {"paging": paging, "_links": links}
    if page:
        doc["_embedded"] = {"loc:item": here.embedded([_child(here, c, embed) for c in page])}
    return doc


def folder_doc(
    here: Here, folder: Folder, offset: int, limit: int, *, embed: bool, insist: bool
) -> Json:
    """A folder as a location item, the first page of its children in ``loc:collection``."""
    return {
        "base": here.base_attributes(folder.id, "folder"),
        "common": {"name": folder.name, "created": folder.created, "modified": folder.modified},
        "_links": {
            "self": {"href": here.folder_url(folder)},
            "loc:collection": {"href": here.collection_url(folder.id)},
            "loc:locations": {"href": here.base + "/locations"},
            "curies": curies("loc", "aa"),
        },
        "_embedded": {
            "loc:collection": collection_doc(
                here, folder, offset, limit, embed=embed, insist=insist
            )
        },
    }
