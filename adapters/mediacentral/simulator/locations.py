"""The simulated location service: the folder tree, paged.

- ``GET {pam}/locations``: the service root linking ``loc:root-item`` and
  ``loc:item-by-id``.
- ``GET {pam}/locations/folders{?offset,limit}``: the root folder.
- ``GET {pam}/locations/items/{id}{?offset,limit}``: any folder (children embedded as
  ``loc:item``, paged with ``next``/``prev``) or an asset's location item; a folder
  refused by :meth:`MediaCentralSimulator.refuse_folder` answers 403 or 404.

A path under a service segment the platform no longer serves answers a bare 404 (as
any unknown route does), unlike an unknown id, which answers a problem document.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from adapters.mediacentral.simulator.plumbing import (
    curies,
    forbidden,
    hal,
    not_found,
    paging,
    platform_of,
)
from adapters.mediacentral.simulator.render import (
    asset_item_doc,
    folder_doc,
    item_url,
    pam_base,
    root_url,
)

ROOT_ITEM_TEMPLATE: Final = "/locations/folders{?offset,limit}"
ITEM_TEMPLATE: Final = "/locations/items/{id}{?offset,limit}"


def check_service(request: web.Request, current: str) -> None:
    """404 unless the request names the service segment in use now."""
    if request.match_info["service"] != current:
        raise web.HTTPNotFound()


async def locations(request: web.Request) -> web.Response:
    """``GET {pam}/locations``: the location service root."""
    check_service(request, platform_of(request).pam_service)
    base = pam_base(request)
    return hal(
        {
            "_links": {
                "self": {"href": base + "/locations"},
                "loc:root-item": {"href": base + ROOT_ITEM_TEMPLATE, "templated": True},
                "loc:item-by-id": {"href": base + ITEM_TEMPLATE, "templated": True},
                "curies": curies("loc"),
            }
        }
    )


async def root_item(request: web.Request) -> web.Response:
    """``GET {pam}/locations/folders``: the root folder."""
    platform = platform_of(request)
    check_service(request, platform.pam_service)
    offset, limit = paging(request)
    folder = platform.folders[platform.root_id]
    return hal(folder_doc(request, folder, root_url(request), offset, limit))


async def item_by_id(request: web.Request) -> web.Response:
    """``GET {pam}/locations/items/{id}``: a folder or an asset's location item."""
    platform = platform_of(request)
    check_service(request, platform.pam_service)
    item_id = request.match_info["id"]
    offset, limit = paging(request)
    folder = platform.folders.get(item_id)
    if folder is not None:
        refusal = platform.folder_refusals.get(item_id)
        if refusal == 403:
            raise forbidden("location item", item_id)
        if refusal == 404:
            raise not_found("location item", item_id)
        return hal(folder_doc(request, folder, item_url(request, item_id), offset, limit))
    asset = platform.assets.get(item_id)
    if asset is None:
        raise not_found("location item", item_id)
    return hal(asset_item_doc(request, asset))


def add_routes(router: web.UrlDispatcher) -> None:
    """The location service routes."""
    router.add_get("/apis/{service}/locations", locations)
    router.add_get("/apis/{service}/locations/folders", root_item)
    router.add_get("/apis/{service}/locations/items/{id}", item_by_id)
