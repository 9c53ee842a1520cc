"""The ``mc:`` link relations, documented at ``/rels/mc/{rel}``, and the gateway paths.

Paths are relative to the backend root ``/backends/<name>``. Each ``mc:`` relation
stands for a CTMS relation of the platform (``loc:root-item``, ``loc:item-by-id``,
``aa:asset-by-id``, ``search:simple-search``); the backend root links both names.
"""

from __future__ import annotations

from typing import Final

from gateway.spi import RelationDoc

LOCATIONS: Final = "/locations"
ITEM: Final = "/items/{id}{?offset,limit}"
ASSET: Final = "/assets/{id}"
THUMBNAIL: Final = "/assets/{id}/thumbnail"
"""An asset's thumbnail image, the gateway following its ``aa:thumb`` (no relation of its own:
the unified view links it as ``gw:thumbnail``)."""
SEARCH: Final = "/search{?search,offset,limit}"

# (mc relation, CTMS relation it stands for, gateway path, templated, title)
ROOT_LINKS: Final = (
    ("locations", "loc:root-item", LOCATIONS, False, "Root folder"),
    ("item", "loc:item-by-id", ITEM, True, "Folder or item by id"),
    ("asset", "aa:asset-by-id", ASSET, True, "Asset by id"),
    ("search", "search:simple-search", SEARCH, True, "Simple search"),
)

RELATIONS: Final = (
    RelationDoc(
        "locations",
        "Root folder",
        "The root folder of the platform's folder tree (CTMS loc:root-item). Its children "
        "are embedded in its loc:collection, as loc:item (one alone may be an object), "
        "each with a self link to follow; the collection's next link leads to the next "
        "page, itself a loc:collection. A folder links loc:collection; an asset is a "
        "folder-item entry that links its asset as loc:referenced-object.",
        template=LOCATIONS,
        example='{"base": {"id": "/", "type": "folder"}, "common": {"name": "Newsroom"}, '
        '"_embedded": {"loc:collection": {"paging": {"offset": 0, "limit": 100, '
        '"elements": 1}, "_embedded": {"loc:item": {"base": {"id": "/News/", "type": '
        '"folder"}, "common": {"name": "News"}}}}}}',
    ),
    RelationDoc(
        "item",
        "Folder or item by id",
        "One folder or folder item of the tree by its id (CTMS loc:item-by-id; folder ids "
        "may be paths such as /News/, escaped as one path segment). A folder embeds one "
        "page of its children in its loc:collection; offset (from 0) and limit (1 to "
        "100) choose the page, and the collection's paging says where it stands. A "
        "folder item embeds its asset as loc:referenced-object.",
        template=ITEM,
    ),
    RelationDoc(
        "asset",
        "Asset by id",
        "One asset (CTMS aa:asset-by-id) with its base attributes (id, type, systemID, "
        "systemType) and common attributes (name, duration, created, modified), linking "
        "aa:thumb (where its thumbnail image is) and loc:referencing-items (the folder "
        'items that file it). PATCH a JSON body {"common": {"name": "..."}} to rename it; '
        "the answer is 200 with the updated asset.",
        methods=("GET", "PATCH"),
        template=ASSET,
        example='{"common": {"name": "Harbour fire - wide shot (graded)"}}',
    ),
    RelationDoc(
        "search",
        "Simple search",
        "Full-text search over the platform's assets (CTMS search:simple-search): assets "
        "whose name holds every word of search, embedded as aa:asset. offset and limit page "
        "the results; follow next to the following page. A bad parameter answers 400 with "
        "the platform's own code in upstream_code.",
        template=SEARCH,
    ),
)
