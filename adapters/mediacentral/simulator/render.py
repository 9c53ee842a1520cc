"""HAL documents of the simulated services: location items, folders and assets.

Every href is absolute on the host the caller reached, under the service's current
path segment (``/apis/avid.pam;version=1;realm=newsroom``), so moving a service
(:meth:`MediaCentralSimulator.relocate_services`) changes every href at once.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from adapters.mediacentral.simulator.plumbing import curies, origin, paged_links, platform_of
from adapters.mediacentral.simulator.state import SYSTEM_ID, SYSTEM_TYPE, Asset, Folder, Json


def pam_base(request: web.Request) -> str:
    """The asset and location service's base URL."""
    return f"{origin(request)}/apis/{platform_of(request).pam_service}"


def search_base(request: web.Request) -> str:
    """The search service's base URL."""
    return f"{origin(request)}/apis/{platform_of(request).search_service}"


def root_url(request: web.Request) -> str:
    """The root folder (``loc:root-item``)."""
    return pam_base(request) + "/locations/folders"


def item_url(request: web.Request, item_id: str) -> str:
    """A location item (``loc:item-by-id``)."""
    return f"{pam_base(request)}/locations/items/{quote(item_id, safe='')}"


def asset_url(request: web.Request, asset_id: str) -> str:
    """An asset (``aa:asset-by-id``)."""
    return f"{pam_base(request)}/assets/{quote(asset_id, safe='')}"


def thumbnail_url(request: web.Request, asset_id: str) -> str:
    """An asset's thumbnail image."""
    return asset_url(request, asset_id) + "/thumbnail"


def base_attributes(item_id: str, item_type: str) -> Json:
    """The ``base`` attribute group every CTMS item carries."""
    return {"id": item_id, "type": item_type, "systemID": SYSTEM_ID, "systemType": SYSTEM_TYPE}


def asset_summary(request: web.Request, asset: Asset) -> Json:
    """An asset as a search hit."""
    return {
        "base": base_attributes(asset.id, asset.type),
        "common": {"name": asset.name, "duration": asset.duration, "modified": asset.modified},
        "_links": {
            "self": {"href": asset_url(request, asset.id)},
            "aa:thumbnail": {"href": thumbnail_url(request, asset.id), "type": "image/png"},
        },
    }


def asset_doc(request: web.Request, asset: Asset) -> Json:
    """``aa:asset-by-id``: the asset with its attribute groups."""
    return {
        "base": base_attributes(asset.id, asset.type),
        "common": {
            "name": asset.name,
            "duration": asset.duration,
            "created": asset.created,
            "modified": asset.modified,
        },
        "_links": {
            "self": {"href": asset_url(request, asset.id)},
            "aa:thumbnail": {"href": thumbnail_url(request, asset.id), "type": "image/png"},
            "loc:parent": {"href": item_url(request, asset.folder)},
            "curies": curies("aa", "loc"),
        },
    }


def _child(request: web.Request, child_id: str) -> Json:
    platform = platform_of(request)
    folder = platform.folders.get(child_id)
    if folder is not None:
        return {
            "base": base_attributes(folder.id, "folder"),
            "common": {"name": folder.name},
            "_links": {"self": {"href": item_url(request, folder.id)}},
        }
    asset = platform.assets[child_id]
    return {
        "base": base_attributes(asset.id, asset.type),
        "common": {"name": asset.name, "duration": asset.duration},
        "_links": {
            "self": {"href": item_url(request, asset.id)},
            "aa:asset": {"href": asset_url(request, asset.id)},
        },
    }


def folder_doc(request: web.Request, folder: Folder, url: str, offset: int, limit: int) -> Json:
    """A folder as a location item: one page of its children embedded as ``loc:item``."""
    platform = platform_of(request)
    page = folder.children[offset : offset + limit]
    links = paged_links(url, offset, limit, len(folder.children))
    if not request.query:
        links["self"] = {"href": url}
    if folder.parent is not None:
        parent = platform.folders[folder.parent]
        up = root_url(request) if parent.parent is None else item_url(request, parent.id)
        links["loc:parent"] = {"href": up}
    links["curies"] = curies("loc", "aa")
    return {
        "base": base_attributes(folder.id, "folder"),
        "common": {"name": folder.name, "created": folder.created, "modified": folder.modified},
        "path": "/" + "/".join(f.name for f in platform.folder_path(folder.id)),
        "paging": {
            "offset": offset,
            "limit": limit,
            "elements": len(page),
            "totalElements": len(folder.children),
        },
        "_links": links,
        "_embedded": {"loc:item": [_child(request, child) for child in page]},
    }


def asset_item_doc(request: web.Request, asset: Asset) -> Json:
    """An asset as a location item: where it is filed and a link to the asset itself."""
    return {
        "base": base_attributes(asset.id, asset.type),
        "common": {"name": asset.name, "duration": asset.duration},
        "_links": {
            "self": {"href": item_url(request, asset.id)},
            "aa:asset": {"href": asset_url(request, asset.id)},
            "loc:parent": {"href": item_url(request, asset.folder)},
            "curies": curies("loc", "aa"),
        },
    }
