"""The simulated simple search, served by each system's own service.

``GET {svc}/searches/simple?search=..{&offset,limit,sort}``: the system's assets whose
name holds every word of ``search``, embedded as ``aa:asset`` and paged with ``next``,
as the removed search samples read it (``simplesearch.js``, ``SimpleSearch.java``,
``SimpleSearch.cs``): in the system's service and realm, ``_embedded`` left out when
nothing matches, ``totalElements`` only with ``insist=totalElements``.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from aiohttp import web

from adapters.mediacentral.simulator.plumbing import (
    TOTAL,
    curies,
    hal,
    insists,
    invalid_parameter,
    paged_links,
    paging,
)
from adapters.mediacentral.simulator.render import Here, asset_summary
from adapters.mediacentral.simulator.state import Json

SEARCH_TEMPLATE: Final = "/searches/simple?search={search}{&offset,limit,sort}"
SORT_KEYS: Final = ("name", "created", "modified")


def _sort(request: web.Request) -> tuple[str | None, str, bool]:
    raw = request.query.get("sort")
    if raw is None:
        return None, "name", False
    key = raw.removeprefix("-")
    if key not in SORT_KEYS:
        raise invalid_parameter(
            "sort", f"Parameter sort must be one of {', '.join(SORT_KEYS)}, optionally with '-'"
        )
    return raw, key, raw.startswith("-")


async def simple_search(request: web.Request) -> web.Response:
    """``GET {svc}/searches/simple``."""
    here = Here.of(request)
    text = request.query.get("search", "").strip()
    if not text:
        raise invalid_parameter("search", "Parameter search is required")
    offset, limit = paging(request)
    raw_sort, key, descending = _sort(request)
    words = text.lower().split()
    assets = here.catalogue.assets.values()
    hits = [a for a in assets if all(w in a.name.lower() for w in words)]
    hits.sort(key=lambda a: (str(getattr(a, key)).lower(), a.id), reverse=descending)
    page = hits[offset : offset + limit]
    insist = insists(request)
    kept = (
        f"search={quote(text, safe='')}&"
        + (f"sort={quote(raw_sort)}&" if raw_sort else "")
        + (f"insist={TOTAL}&" if insist else "")
    )
    links = paged_links(here.base + "/searches/simple", offset, limit, len(hits), kept)
    links["curies"] = curies("search", "aa")
    paging_doc: Json = {"offset": offset, "limit": limit, "elements": len(page)}
    if insist:
        paging_doc["totalElements"] = len(hits)
    doc: Json = {"paging": paging_doc, "_links": links}
    if page:
        doc["_embedded"] = {"aa:asset": [asset_summary(here, a) for a in page]}
    return hal(doc)


def add_routes(router: web.UrlDispatcher) -> None:
    """The search route."""
    router.add_get("/apis/{service}/searches/simple", simple_search)
