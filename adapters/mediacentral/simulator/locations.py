"""The simulated location service: the folder tree, paged, per system.

- ``GET {svc}/locations``: the service root linking ``loc:root-item`` and
  ``loc:item-by-id``.
- ``GET {svc}/locations/folders``: the root folder (``loc:root-item``, untemplated as the
  registry of a_ctms_session_registry.html hands it out; 100 children a page).
- ``GET {svc}/locations/items/{id}{?offset,limit,embed}``: a folder (its first page
  of children in an embedded ``loc:collection``) or a folder item (its asset embedded);
  a folder refused by :meth:`MediaCentralSimulator.refuse_folder` answers 403 or 404.
- ``GET {svc}/locations/items/{id}/collection?offset=..&limit=..``: a page of a
  folder's children on its own, where the collection's ``next`` links lead. No source
  shows the real href of those pages; clients follow the links and never build them.

``embed=asset`` embeds each folder item's asset (``loc:referenced-object``), as
Production Management does only when asked; ``insist=totalElements`` adds the count
to ``paging`` (on any folder read). A path under a service segment the platform no
longer serves answers a bare 404 (as any unknown route does), unlike an unknown id,
which answers a problem.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from adapters.mediacentral.simulator.plumbing import (
    FOLDER_LIMIT,
    curies,
    forbidden,
    hal,
    insists,
    not_found,
    paging,
)
from adapters.mediacentral.simulator.render import (
    Here,
    collection_doc,
    folder_doc,
    folder_item_doc,
)
from adapters.mediacentral.simulator.state import Folder

ROOT_ITEM_TEMPLATE: Final = "/locations/folders"
ITEM_TEMPLATE: Final = "/locations/items/{id}{?offset,limit,embed}"


def _folder(here: Here, folder_id: str) -> Folder | None:
    """The folder ``folder_id``, None if it is none; refused ones raise their problem."""
    folder = here.catalogue.folders.get(folder_id)
    refusal = here.platform.folder_refusals.get(folder_id)
    if folder is not None and refusal == 403:
        raise forbidden("location item", folder_id)
    if folder is not None and refusal == 404:
        raise not_found("location item", folder_id)
    return folder


def _page(request: web.Request, here: Here, folder: Folder) -> web.Response:
    offset, limit = paging(request, FOLDER_LIMIT)
    embed = request.query.get("embed") == "asset"
    return hal(folder_doc(here, folder, offset, limit, embed=embed, insist=insists(request)))


async def locations(request: web.Request) -> web.Response:
    """``GET {svc}/locations``: the location service root."""
    here = Here.of(request)
    return hal(
        {
            "_links": {
                "self": {"href": here.base + "/locations"},
                "loc:root-item": {"href": here.base + ROOT_ITEM_TEMPLATE},
                "loc:item-by-id": {"href": here.base + ITEM_TEMPLATE, "templated": True},
                "curies": curies("loc"),
            }
        }
    )


async def root_item(request: web.Request) -> web.Response:
    """``GET {svc}/locations/folders``: the root folder."""
    here = Here.of(request)
    return _page(request, here, here.catalogue.folders[here.catalogue.root_id])


async def item_by_id(request: web.Request) -> web.Response:
    """``GET {svc}/locations/items/{id}``: a folder or a folder item."""
    here = Here.of(request)
    item_id = request.match_info["id"]
    folder = _folder(here, item_id)
    if folder is not None:
        return _page(request, here, folder)
    item = here.catalogue.items.get(item_id)
    if item is None:
        raise not_found("location item", item_id)
    # Read by itself, an item embeds its asset without being asked (folder_structure.html).
    doc = folder_item_doc(here, item, embed=True)
    doc["_links"]["curies"] = curies("loc", "aa")
    return hal(doc)


async def collection(request: web.Request) -> web.Response:
    """``GET {svc}/locations/items/{id}/collection``: one page of a folder's children."""
    here = Here.of(request)
    item_id = request.match_info["id"]
    folder = _folder(here, item_id)
    if folder is None:
        raise not_found("folder", item_id)
    offset, limit = paging(request, FOLDER_LIMIT)
    embed = request.query.get("embed") == "asset"
    doc = collection_doc(here, folder, offset, limit, embed=embed, insist=insists(request))
    doc["_links"]["curies"] = curies("loc", "aa")
    return hal(doc)


def add_routes(router: web.UrlDispatcher) -> None:
    """The location service routes."""
    router.add_get("/apis/{service}/locations", locations)
    router.add_get("/apis/{service}/locations/folders", root_item)
    router.add_get("/apis/{service}/locations/items/{id}", item_by_id)
    router.add_get("/apis/{service}/locations/items/{id}/collection", collection)
