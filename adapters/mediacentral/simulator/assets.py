"""The simulated asset service, per system.

- ``GET {svc}/assets/{id}``: ``aa:asset-by-id``, the asset's ``base`` and ``common``
  attributes linking ``aa:thumb`` and ``loc:referencing-items``; 404 for an asset
  withdrawn by :meth:`MediaCentralSimulator.withdraw` (its folder and the search still
  list it).
- ``PATCH {svc}/assets/{id}``: ``aa:update-asset-by-id``, an ``aa:asset`` body whose
  given common attributes change (only ``common.name`` is writable here); ``base`` may
  come along when it names this asset, and embedded ``aa:attributes`` are taken and
  kept nowhere. The answer is ``204 No Content`` (update-asset-by-id.html), or 200 with
  the asset for a simulator made with ``update_answer="body"`` (the same page's
  "Response body: An aa:asset resource").
- ``GET {svc}/assets/{id}/thumbs``: the ``aa:thumb`` resource, ``{"thumbnail": <URL>}``
  (thumb.html); the URL leads to ``.../thumbnail``, a small PNG, or with
  ``ImageAnswer(second_origin=True)`` to ``/nxn/workgroup/preview?path=<id>`` on a second
  origin, as Production Management keeps them on its workgroup host (:func:`image_app`).
  The image's status, type and a redirect elsewhere are :class:`ImageAnswer` options.
- ``GET {svc}/assets/{id}/referencing-items``: the folder items that file the asset.
"""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

from aiohttp import web

from adapters.mediacentral.simulator.plumbing import (
    Problem,
    curies,
    hal,
    invalid_parameter,
    not_found,
)
from adapters.mediacentral.simulator.render import Here, asset_doc, folder_item_doc
from adapters.mediacentral.simulator.state import Asset, ImageAnswer, Platform

MAX_NAME: Final = 255
PREVIEW: Final = "/nxn/workgroup/preview"
"""Where the workgroup host of :func:`image_app` serves preview images."""
_GROUPS: Final = frozenset({"base", "common", "_embedded", "_links"})
"""The parts of an ``aa:asset`` an update may carry; ``_links`` are read-only and ignored."""


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


def _asset(request: web.Request) -> tuple[Here, Asset]:
    here = Here.of(request)
    asset_id = request.match_info["id"]
    asset = here.catalogue.assets.get(asset_id)
    if asset is None or asset_id in here.platform.withdrawn:
        raise not_found("asset", asset_id)
    return here, asset


async def get_asset(request: web.Request) -> web.Response:
    """``GET {svc}/assets/{id}``."""
    return hal(asset_doc(*_asset(request)))


def _new_name(asset: Asset, body: dict[str, Any]) -> str | None:
    """The name the update body gives, after checking every part of it."""
    for part in body:
        if part not in _GROUPS:
            raise invalid_parameter(part, f"Attribute group {part} cannot be changed")
    base = body.get("base", {})
    if not isinstance(base, dict) or base.get("id", asset.id) != asset.id:
        raise invalid_parameter("base.id", "Attribute base.id must name the asset updated")
    embedded = body.get("_embedded", {})
    if not isinstance(embedded, dict) or set(embedded) - {"aa:attributes"}:
        raise invalid_parameter("_embedded", "Only aa:attributes may be embedded")
    common = body.get("common", {})
    if not isinstance(common, dict):
        raise invalid_parameter("common", "Attribute group common must be an object")
    for name in common:
        if name != "name":
            raise invalid_parameter(f"common.{name}", f"Attribute common.{name} is read-only")
    new_name = common.get("name")
    if new_name is not None and (
        not isinstance(new_name, str) or not new_name.strip() or len(new_name) > MAX_NAME
    ):
        raise invalid_parameter(
            "common.name", f"Attribute common.name must be 1 to {MAX_NAME} characters"
        )
    return new_name.strip() if new_name is not None else None


async def update_asset(request: web.Request) -> web.Response:
    """``PATCH {svc}/assets/{id}`` with an ``aa:asset`` body."""
    here, asset = _asset(request)
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body:
        raise Problem(400, "avid.pam/CTMS/MALFORMED_REQUEST", "Expected a JSON object")
    new_name = _new_name(asset, body)
    if new_name is not None:
        asset.name = new_name
        asset.modified = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if here.platform.update_answer == "body":
        return hal(asset_doc(here, asset))
    return web.Response(status=204)


async def thumb(request: web.Request) -> web.Response:
    """``GET {svc}/assets/{id}/thumbs``: where the thumbnail image is."""
    here, asset = _asset(request)
    url = here.asset_url(asset.id)
    image = url + "/thumbnail"
    if here.platform.image.second_origin and here.platform.image_origin:
        image = f"{here.platform.image_origin}{PREVIEW}?path={quote(asset.id, safe='')}"
    return hal({"thumbnail": image, "_links": {"self": {"href": url + "/thumbs"}}})


def _image(answer: ImageAnswer, path_qs: str) -> web.Response:
    if answer.redirect is not None:
        return web.Response(status=302, headers={"Location": answer.redirect + path_qs})
    return web.Response(status=answer.status, body=THUMBNAIL, content_type=answer.content_type)


async def thumbnail(request: web.Request) -> web.Response:
    """``GET {svc}/assets/{id}/thumbnail``: the image itself."""
    here, _ = _asset(request)
    return _image(here.platform.image, request.path_qs)


def image_app(platform: Platform) -> web.Application:
    """The workgroup host's preview images: no session asked for, any credentials counted."""

    async def preview(request: web.Request) -> web.Response:
        if "Authorization" in request.headers or "Cookie" in request.headers:
            platform.counters.image_credentials += 1
        if request.query.get("path") not in platform.catalogues[0].assets:
            raise web.HTTPNotFound()
        platform.counters.image_reads += 1
        return _image(platform.image, request.path_qs)

    app = web.Application()
    app.router.add_get(PREVIEW, preview)
    return app


async def referencing_items(request: web.Request) -> web.Response:
    """``GET {svc}/assets/{id}/referencing-items``: the folder items that file it."""
    here, asset = _asset(request)
    items = [folder_item_doc(here, i, embed=False) for i in here.catalogue.items_of(asset.id)]
    url = here.asset_url(asset.id) + "/referencing-items"
    doc = {"_links": {"self": {"href": url}, "curies": curies("loc")}}
    if items:
        doc["_embedded"] = {"loc:item": here.embedded(items)}
    return hal(doc)


def add_routes(router: web.UrlDispatcher) -> None:
    """The asset routes."""
    router.add_get("/apis/{service}/assets/{id}", get_asset)
    router.add_patch("/apis/{service}/assets/{id}", update_asset)
    router.add_get("/apis/{service}/assets/{id}/thumbs", thumb)
    router.add_get("/apis/{service}/assets/{id}/thumbnail", thumbnail)
    router.add_get("/apis/{service}/assets/{id}/referencing-items", referencing_items)
