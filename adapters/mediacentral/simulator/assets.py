"""The simulated asset and search services.

- ``GET {pam}/assets/{id}``: ``aa:asset-by-id``, the asset's ``base`` and ``common``
  attributes with links to its thumbnail and folder; 404 for an asset withdrawn by
  :meth:`MediaCentralSimulator.withdraw` (its folder and the search still list it).
- ``PATCH {pam}/assets/{id}``: change attributes; only ``common.name`` is writable.
- ``GET {pam}/assets/{id}/thumbnail``: a small PNG.
- ``GET {search}/searches/simple?search=..{&offset,limit,sort}``: assets whose name
  holds every word of ``search``, embedded as ``aa:asset``, paged with ``next``.
"""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

from aiohttp import web

from adapters.mediacentral.simulator.locations import check_service
from adapters.mediacentral.simulator.plumbing import (
    Problem,
    curies,
    hal,
    invalid_parameter,
    not_found,
    paged_links,
    paging,
    platform_of,
)
from adapters.mediacentral.simulator.render import asset_doc, asset_summary, search_base
from adapters.mediacentral.simulator.state import Asset, Json

SEARCH_TEMPLATE: Final = "/searches/simple?search={search}{&offset,limit,sort}"
SORT_KEYS: Final = ("name", "created", "modified")
MAX_NAME: Final = 255


def _png() -> bytes:
    """A 16x9 thumbnail in one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 16, 9, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes((32, 64, 96)) * 16 for _ in range(9))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


THUMBNAIL: Final = _png()


def _asset(request: web.Request) -> Asset:
    platform = platform_of(request)
    check_service(request, platform.pam_service)
    asset_id = request.match_info["id"]
    asset = platform.assets.get(asset_id)
    if asset is None or asset_id in platform.withdrawn:
        raise not_found("asset", asset_id)
    return asset


async def get_asset(request: web.Request) -> web.Response:
    """``GET {pam}/assets/{id}``."""
    return hal(asset_doc(request, _asset(request)))


async def update_asset(request: web.Request) -> web.Response:
    """``PATCH {pam}/assets/{id}`` with ``{"common": {"name": ...}}``."""
    asset = _asset(request)
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body:
        raise Problem(400, "avid.pam/CTMS/MALFORMED_REQUEST", "Expected a JSON object")
    for group in body:
        if group != "common":
            raise invalid_parameter(group, f"Attribute group {group} cannot be changed")
    common = body["common"]
    if not isinstance(common, dict):
        raise invalid_parameter("common", "Attribute group common must be an object")
    for name in common:
        if name != "name":
            raise invalid_parameter(f"common.{name}", f"Attribute common.{name} is read-only")
    new_name = common.get("name")
    if new_name is not None:
        if not isinstance(new_name, str) or not new_name.strip() or len(new_name) > MAX_NAME:
            raise invalid_parameter(
                "common.name", f"Attribute common.name must be 1 to {MAX_NAME} characters"
            )
        asset.name = new_name.strip()
        asset.modified = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return hal(asset_doc(request, asset))


async def thumbnail(request: web.Request) -> web.Response:
    """``GET {pam}/assets/{id}/thumbnail``."""
    _asset(request)
    return web.Response(body=THUMBNAIL, content_type="image/png")


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
    """``GET {search}/searches/simple``."""
    platform = platform_of(request)
    check_service(request, platform.search_service)
    text = request.query.get("search", "").strip()
    if not text:
        raise invalid_parameter("search", "Parameter search is required")
    offset, limit = paging(request)
    raw_sort, key, descending = _sort(request)
    words = text.lower().split()
    hits = [a for a in platform.assets.values() if all(w in a.name.lower() for w in words)]
    hits.sort(key=lambda a: (str(getattr(a, key)).lower(), a.id), reverse=descending)
    page = hits[offset : offset + limit]
    kept = f"search={quote(text, safe='')}&" + (f"sort={quote(raw_sort)}&" if raw_sort else "")
    links = paged_links(search_base(request) + "/searches/simple", offset, limit, len(hits), kept)
    links["curies"] = curies("search", "aa")
    doc: Json = {
        "paging": {
            "offset": offset,
            "limit": limit,
            "elements": len(page),
            "totalElements": len(hits),
        },
        "_links": links,
        "_embedded": {"aa:asset": [asset_summary(request, a) for a in page]},
    }
    return hal(doc)


def add_routes(router: web.UrlDispatcher) -> None:
    """The asset and search routes."""
    router.add_get("/apis/{service}/assets/{id}", get_asset)
    router.add_patch("/apis/{service}/assets/{id}", update_asset)
    router.add_get("/apis/{service}/assets/{id}/thumbnail", thumbnail)
    router.add_get("/apis/{service}/searches/simple", simple_search)
