"""The unified view: the assets and collections of every backend, in one list and by one id.

- ``GET /assets{?q,backend,type,cursor,per_page}``: assets of every backend the caller
  may use (or of the named ones), filtered by ``q`` (each kind's upstream search) and
  ``type``, merged into one list.
- ``GET /assets/{backend}:{native id}``: one asset.
- ``GET /collections{?backend,cursor,per_page}``: collections of the backends that have
  them, linked as ``gw:collection``; ``GET /collections/{backend}:{native id}{?page,per_page}``:
  one, a page of its assets embedded as ``gw:items``, with paging links like every list.

Every embedded resource is the whole representation of its ``self`` (HAL clients cache
it as that resource); what a list cannot afford to read whole, it links.
- ``GET /schemas/asset``: the JSON Schema of the unified asset (its ``profile``).

Lists are merged by :mod:`gateway.unified.lists`; documents are built by
:mod:`gateway.unified.documents`.
"""

from __future__ import annotations

import asyncio
from typing import Final

from aiohttp import web

from gateway.auth.access import require_caller, visible
from gateway.backends.runtime import BACKENDS, Backend
from gateway.config.loading import CONFIG
from gateway.spi.assets import ASSET_TYPES, AssetPage, AssetQuery, CollectionPage
from gateway.unified.cursor import CursorCodec
from gateway.unified.documents import (
    ASSETS,
    COLLECTION,
    COLLECTIONS,
    SCHEMA_PATH,
    asset_doc,
    asset_schema,
    collection_doc,
    collection_link,
)
from gateway.unified.lists import CURSORS, merged_list, usable
from gateway.web import hal
from gateway.web.errors import BadRequest, NotFound
from gateway.web.params import DEFAULT_PER_PAGE, MAX_MERGED_PER_PAGE, int_param, paging
from gateway.web.routing import UPSTREAM_ERRORS, QueryParam, Route, add_route, hal_response
from gateway.web.urls import public_base


async def list_assets(request: web.Request) -> web.Response:
    """``GET /assets``: the merged asset list."""
    text = request.query.get("q") or None
    kind = request.query.get("type") or None
    if kind is not None and kind not in ASSET_TYPES:
        raise BadRequest(f"type must be one of {', '.join(ASSET_TYPES)}, got {kind[:40]!r}")
    backends = usable(request, collections=False)
    backend_filter = request.query.get("backend") or None

    async def fetch(backend: Backend, offset: int, limit: int) -> AssetPage:
        query = AssetQuery(text=text, type=kind, offset=offset, limit=limit)
        return await backend.adapter.list_assets(query)

    return await merged_list(
        request,
        what="assets",
        backends=backends,
        query={"q": text, "type": kind, "backend": backend_filter},
        fetch=fetch,
        template=ASSETS,
        rel="gw:asset",
        make_doc=asset_doc,
    )


async def list_collections(request: web.Request) -> web.Response:
    """``GET /collections``: the merged collection list."""
    backends = usable(request, collections=True)

    async def fetch(backend: Backend, offset: int, limit: int) -> CollectionPage:
        return await backend.adapter.list_collections(offset, limit)

    return await merged_list(
        request,
        what="collections",
        backends=backends,
        query={"backend": request.query.get("backend") or None},
        fetch=fetch,
        template=COLLECTIONS,
        rel="gw:collection",
        make_link=collection_link,
    )


# -- one asset, one collection -------------------------------------------------------


def _owner(request: web.Request, uid: str, *, collection: bool = False) -> tuple[Backend, str]:
    """The backend and native id of ``<backend>:<native id>``.

    404 for a backend the caller may not use, as for one that does not exist: the
    lists do not show it either.
    """
    name, sep, native = uid.partition(":")
    backend = request.app[BACKENDS].get(name) if sep and native else None
    what = "collection" if collection else "asset"
    if backend is None or not visible(request, require_caller(request), backend):
        raise NotFound(f"no {what} {uid!r}: ids are <backend>:<native id>")
    if collection and not type(backend.adapter).offers_collections:
        raise NotFound(f"no collection {uid!r}: backend {name} has no collections")
    return backend, native


async def get_asset(request: web.Request) -> web.Response:
    """``GET /assets/{id}``: one unified asset."""
    backend, native = _owner(request, request.match_info["id"])
    asset = await backend.adapter.get_asset(native)
    return hal_response(asset_doc(public_base(request), backend, asset))


async def get_collection(request: web.Request) -> web.Response:
    """``GET /collections/{id}``: one collection, a page of its assets embedded."""
    uid = request.match_info["id"]
    backend, native = _owner(request, uid, collection=True)
    page = int_param(request, "page", 1, minimum=1)
    per_page = int_param(
        request, "per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_MERGED_PER_PAGE
    )
    base = public_base(request)
    collection, items = await asyncio.gather(
        backend.adapter.get_collection(native),
        backend.adapter.collection_items(native, (page - 1) * per_page, per_page),
    )
    doc = collection_doc(base, backend, collection)
    total = items.total
    if total is None:
        # A backend that cannot count: the total as far as this page shows, so that
        # `next` is there while more follow and `last` is at worst the next page.
        total = (page - 1) * per_page + len(items.items) + (1 if items.more else 0)
    hal.add_paging(doc, base + COLLECTION, hal.Page(page, per_page, total), id=uid)
    doc.embed("gw:items", [asset_doc(base, backend, a) for a in items.items])
    return hal_response(doc)


async def schema(request: web.Request) -> web.Response:
    """``GET /schemas/asset``."""
    return web.json_response(
        asset_schema(public_base(request)), content_type="application/schema+json"
    )


_PAGE: Final = paging(maximum=MAX_MERGED_PER_PAGE)
_PER_PAGE: Final = _PAGE[1]
_LIST: Final = (
    QueryParam("backend", description="only these backends, by name, comma-separated"),
    QueryParam("cursor", description="where the next page starts: the next link's cursor"),
    _PER_PAGE,
)
_ASSET_LIST: Final = (
    QueryParam("q", description="words to look for, each kind with its upstream's search"),
    QueryParam("type", description="only assets of this type", enum=ASSET_TYPES),
    *_LIST,
)


def setup(app: web.Application) -> None:
    """Add the unified routes."""
    app[CURSORS] = CursorCodec(app[CONFIG].auth.signing_key.reveal())
    # Every backend's failure can reach the client: the asset's own, or the one most
    # backends of a list failed with.
    errors = UPSTREAM_ERRORS
    add_route(app, Route("GET", "/assets", list_assets, query=_ASSET_LIST, errors=errors))
    add_route(app, Route("GET", "/assets/{id}", get_asset, errors=errors))
    add_route(app, Route("GET", "/collections", list_collections, query=_LIST, errors=errors))
    add_route(app, Route("GET", "/collections/{id}", get_collection, query=_PAGE, errors=errors))
    add_route(
        app,
        Route(
            "GET",
            SCHEMA_PATH,
            schema,
            produces=("application/schema+json", "application/json"),
            access="public",
        ),
    )
