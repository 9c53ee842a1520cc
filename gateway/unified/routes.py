"""The unified view: the assets and collections of every backend, in one list and by one id.

- ``GET /assets{?q,backend,type,cursor,per_page}``: assets of every backend the caller
  may use (or of the named ones), filtered by ``q`` (each kind's upstream search) and
  ``type``, merged into one list.
- ``GET /assets/{backend}:{native id}``: one asset.
- ``GET /collections{?backend,cursor,per_page}``: collections of the backends that have
  them; ``GET /collections/{backend}:{native id}{?page,per_page}``: one, its assets
  embedded as ``gw:items``, paged.
- ``GET /schemas/asset``: the JSON Schema of the unified asset (its ``profile``).

Lists ask the backends concurrently (:mod:`gateway.unified.fanout`); each backend has
``server.fanout_budget_s`` to answer. A backend that fails or is too slow leaves the
list at 200 with ``partial: true`` and its problem in ``_embedded["gw:problem"]``; only
when every backend fails does the list fail, with the status most of them gave.

Order: a merge by title (case-insensitive), then id: the next item is always the one
with the smallest (title, id) among the next items of every backend, each backend's own
order kept. Pages continue with a signed cursor (:mod:`gateway.unified.cursor`) that holds where
each backend stands, so a list pages without gaps or repeats; a backend that failed is
asked again from where it stood on the next page.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Protocol, TypeVar

from aiohttp import web

from gateway.auth.access import require_caller, visible
from gateway.backends.runtime import BACKENDS, Backend
from gateway.config.loading import CONFIG
from gateway.spi.assets import (
    ASSET_TYPES,
    AssetPage,
    AssetQuery,
    CollectionPage,
    UnifiedAsset,
    UnifiedCollection,
    sort_key,
)
from gateway.unified.cursor import CursorCodec, fingerprint
from gateway.unified.fanout import fan_out, merge, telling_error
from gateway.web import hal, problem
from gateway.web.errors import BadRequest, GatewayError, InternalError, NotFound, NotOffered
from gateway.web.middlewares import request_id
from gateway.web.params import int_param
from gateway.web.routing import Route, add_route, hal_response
from gateway.web.urls import path_segment, public_base

ASSETS: Final = "/assets{?q,backend,type,cursor,per_page}"
ASSET: Final = "/assets/{id}"
COLLECTIONS: Final = "/collections{?backend,cursor,per_page}"
COLLECTION: Final = "/collections/{id}{?page,per_page}"
SCHEMA_PATH: Final = "/schemas/asset"
DEFAULT_PER_PAGE: Final = 25
MAX_PER_PAGE: Final = 100
CURSORS: Final = web.AppKey("cursors", CursorCodec)

CURSOR_TTL_S: Final = 3600
"""How long a cursor may be followed: a list is read now, not next week."""

log = logging.getLogger(__name__)


# -- documents ----------------------------------------------------------------------


def _href(base: str, backend: Backend, href: str | None) -> str | None:
    """A gateway path under the backend's root made absolute; absolute URLs stay."""
    if href is None or href.startswith(("http://", "https://")):
        return href
    return base + backend.adapter.path + href


def unified_id(backend: Backend, native_id: str) -> str:
    """``<backend>:<native id>``."""
    return f"{backend.name}:{native_id}"


def asset_doc(base: str, backend: Backend, asset: UnifiedAsset) -> hal.Resource:
    """The unified asset as HAL."""
    uid = unified_id(backend, asset.native_id)
    doc = hal.Resource(
        {
            "id": uid,
            "backend": backend.name,
            "kind": backend.adapter.kind,
            "native_id": asset.native_id,
            "title": asset.title,
            "type": asset.type,
            "duration_ms": asset.duration_ms,
            "created": asset.created,
            "modified": asset.modified,
            "description": asset.description,
        }
    )
    doc.link("self", base + "/assets/" + path_segment(uid))
    doc.link("profile", base + SCHEMA_PATH)
    doc.link("gw:backend", base + backend.adapter.path, name=backend.name)
    for rel, href in (
        ("gw:native", asset.native),
        ("gw:thumbnail", asset.thumbnail),
        ("gw:playback", asset.playback),
    ):
        absolute = _href(base, backend, href)
        if absolute is not None:
            doc.link(rel, absolute)
    for collection in asset.collections:
        cid = unified_id(backend, collection)
        doc.add_link("gw:collection", base + "/collections/" + path_segment(cid))
    return doc


def collection_doc(base: str, backend: Backend, collection: UnifiedCollection) -> hal.Resource:
    """The unified collection as HAL (without its items)."""
    uid = unified_id(backend, collection.native_id)
    doc = hal.Resource(
        {
            "id": uid,
            "backend": backend.name,
            "kind": backend.adapter.kind,
            "native_id": collection.native_id,
            "title": collection.title,
            "description": collection.description,
            "created": collection.created,
            "modified": collection.modified,
            "item_count": collection.item_count,
        }
    )
    doc.link("self", base + "/collections/" + path_segment(uid))
    doc.link("gw:backend", base + backend.adapter.path, name=backend.name)
    native = _href(base, backend, collection.native)
    if native is not None:
        doc.link("gw:native", native)
    return doc


# -- lists --------------------------------------------------------------------------


def _usable(request: web.Request, *, collections: bool) -> list[Backend]:
    """The backends a list covers: those the caller may use, or the ``backend`` ones."""
    who = require_caller(request)
    usable = [
        b
        for b in request.app[BACKENDS]
        if visible(request, who, b) and (not collections or type(b.adapter).offers_collections)
    ]
    wanted = [n.strip() for n in request.query.get("backend", "").split(",") if n.strip()]
    if not wanted:
        return usable
    names = {b.name for b in usable}
    unknown = [n for n in wanted if n not in names]
    if unknown:
        raise BadRequest(
            f"no backend {', '.join(unknown)} you may list here; "
            f"yours: {', '.join(sorted(names)) or 'none'}"
        )
    return [b for b in usable if b.name in wanted]


def _positions(
    request: web.Request, query: str, backends: Sequence[Backend]
) -> dict[str, int | None]:
    """Where each backend stands (None: done): from the cursor, else at the start.

    The cursor holds the positions in the order of ``backends``, never their names.
    """
    cursor = request.query.get("cursor")
    if not cursor:
        return {b.name: 0 for b in backends}
    data = request.app[CURSORS].decode(cursor, query)
    stands, expires = data.get("at"), data.get("exp")
    if not isinstance(expires, int) or expires < time.time():
        raise BadRequest("the cursor has expired; start again from the first page")
    if not isinstance(stands, list) or len(stands) != len(backends):
        raise BadRequest("the cursor does not fit this list; start again from the first page")
    return {
        b.name: at if isinstance(at, int) and at >= 0 else None
        for b, at in zip(backends, stands, strict=True)
    }


class _Listed(Protocol):
    """What the merge needs of a listed item."""

    @property
    def title(self) -> str: ...

    @property
    def native_id(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_Listed)
ItemT_co = TypeVar("ItemT_co", bound=_Listed, covariant=True)


class _Page(Protocol[ItemT_co]):
    """What the merge needs of a backend's page."""

    @property
    def items(self) -> Sequence[ItemT_co]: ...

    @property
    def more(self) -> bool: ...


async def _merged_list(
    request: web.Request,
    *,
    what: str,
    backends: Sequence[Backend],
    query: dict[str, Any],
    fetch: Callable[[Backend, int, int], Awaitable[_Page[ItemT]]],
    template: str,
    rel: str,
    make_doc: Callable[[str, Backend, ItemT], hal.Resource],
) -> web.Response:
    """One page of a list merged from ``backends``: fan out, merge, the next cursor.

    ``query`` holds the list's own parameters (kept on its links and in the cursor's
    fingerprint, with the caller: a cursor serves one caller and one query).
    """
    base = public_base(request)
    per_page = int_param(request, "per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE)
    who = require_caller(request)
    fp = fingerprint(who=who.key, backends=[b.name for b in backends], **query)
    positions = _positions(request, fp, backends)
    first_page = all(at == 0 for at in positions.values())
    active = [b for b in backends if positions[b.name] is not None]

    async def call(backend: Backend) -> _Page[ItemT]:
        at = positions[backend.name]
        assert at is not None
        return await fetch(backend, at, per_page)

    results = await fan_out(active, call, request.app[CONFIG].server.fanout_budget_s)
    pages: dict[str, _Page[ItemT]] = {}
    failed: dict[str, GatewayError] = {}
    for backend, result in zip(active, results, strict=True):
        if isinstance(result, NotOffered):
            positions[backend.name] = None  # the kind has none: nothing to list, no failure
        elif isinstance(result, GatewayError):
            failed[backend.name] = result
        elif result.more and not result.items:
            # Asked again, it would answer the same: the list would never end.
            log.error("backend %s listed no %s but said more follow", backend.name, what)
            failed[backend.name] = InternalError(
                f"backend {backend.name} listed no {what} but said more follow"
            )
        else:
            pages[backend.name] = result
    if failed and not pages and first_page:
        raise telling_error(list(failed.values()), what)

    by_name = {b.name: b for b in backends}
    merged, taken = merge(
        {name: page.items for name, page in pages.items()},
        lambda name, item: (*sort_key(item.title, item.native_id), name),
        per_page,
        more={name: page.more for name, page in pages.items()},
    )
    for name, page in pages.items():
        at = positions[name]
        assert at is not None
        done = taken[name] == len(page.items) and not page.more
        positions[name] = None if done else at + taken[name]

    doc = hal.Resource({"count": len(merged), "partial": bool(failed), **query})
    fixed = {k: v for k, v in query.items() if v is not None}
    here = request.query.get("cursor")
    doc.link("self", hal.expand(template, per_page=per_page, cursor=here, **fixed))
    doc.link("first", hal.expand(template, per_page=per_page, **fixed))
    if any(at is not None for at in positions.values()):
        cursor = request.app[CURSORS].encode(
            {
                "q": fp,
                "at": [positions[b.name] for b in backends],
                "exp": int(time.time()) + CURSOR_TTL_S,
            }
        )
        doc.link("next", hal.expand(template, per_page=per_page, cursor=cursor, **fixed))
    doc.embed(rel, [make_doc(base, by_name[name], item) for name, item in merged])
    if failed:
        incident = request_id(request)
        doc.embed(
            "gw:problem",
            [
                hal.Resource(
                    problem.body(
                        error.http_status,
                        error.problem_code,
                        error.detail,
                        incident,
                        base,
                        {**error.extra, "backend": name},
                    )
                )
                for name, error in failed.items()
            ],
        )
    return hal_response(_absolute(doc, base))


def _absolute(doc: hal.Resource, base: str) -> hal.Resource:
    """Make the list's own links (built from templates) absolute."""
    for rel in ("self", "first", "next"):
        href = doc.href(rel)
        if href is not None:
            doc.link(rel, base + href)
    return doc


async def list_assets(request: web.Request) -> web.Response:
    """``GET /assets``: the merged asset list."""
    text = request.query.get("q") or None
    kind = request.query.get("type") or None
    if kind is not None and kind not in ASSET_TYPES:
        raise BadRequest(f"type must be one of {', '.join(ASSET_TYPES)}, got {kind[:40]!r}")
    backends = _usable(request, collections=False)
    backend_filter = request.query.get("backend") or None

    async def fetch(backend: Backend, offset: int, limit: int) -> AssetPage:
        query = AssetQuery(text=text, type=kind, offset=offset, limit=limit)
        return await backend.adapter.list_assets(query)

    return await _merged_list(
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
    backends = _usable(request, collections=True)

    async def fetch(backend: Backend, offset: int, limit: int) -> CollectionPage:
        return await backend.adapter.list_collections(offset, limit)

    return await _merged_list(
        request,
        what="collections",
        backends=backends,
        query={"backend": request.query.get("backend") or None},
        fetch=fetch,
        template=COLLECTIONS,
        rel="gw:collection",
        make_doc=collection_doc,
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
    per_page = int_param(request, "per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE)
    base = public_base(request)
    collection, items = await asyncio.gather(
        backend.adapter.get_collection(native),
        backend.adapter.collection_items(native, (page - 1) * per_page, per_page),
    )
    doc = collection_doc(base, backend, collection)

    def at(number: int) -> str:
        return base + hal.expand(COLLECTION, id=uid, page=number, per_page=per_page)

    doc.link("self", at(page))
    doc.link("first", at(1))
    if page > 1:
        doc.link("prev", at(page - 1))
    if items.more:
        doc.link("next", at(page + 1))
    doc.properties["page"] = {"number": page, "size": per_page, "totalElements": items.total}
    doc.embed("gw:items", [asset_doc(base, backend, a) for a in items.items])
    return hal_response(doc)


# -- the schema ----------------------------------------------------------------------


def asset_schema(base: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the unified asset."""
    text = {"type": "string"}
    maybe_text = {"type": ["string", "null"]}
    link = {
        "type": "object",
        "required": ["href"],
        "properties": {"href": {"type": "string", "format": "uri"}},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": base + SCHEMA_PATH,
        "title": "Unified asset",
        "description": "One asset of one backend, as GET /assets and /assets/{id} show it.",
        "type": "object",
        "required": ["id", "backend", "kind", "native_id", "title", "type", "_links"],
        "properties": {
            "id": {**text, "description": "<backend>:<native id>, the id of /assets/{id}"},
            "backend": {**text, "description": "The backend's config name"},
            "kind": {**text, "description": "The backend's kind (avalon, mediacentral, ...)"},
            "native_id": {**text, "description": "The id the backend itself uses"},
            "title": text,
            "type": {"enum": list(ASSET_TYPES)},
            "duration_ms": {"type": ["integer", "null"], "minimum": 0},
            "created": {**maybe_text, "description": "ISO 8601, as the backend has it"},
            "modified": {**maybe_text, "description": "ISO 8601, as the backend has it"},
            "description": maybe_text,
            "_links": {
                "type": "object",
                "required": ["self", "profile"],
                "properties": {
                    "self": link,
                    "profile": link,
                    "gw:backend": link,
                    "gw:native": link,
                    "gw:thumbnail": link,
                    "gw:playback": link,
                    "gw:collection": {"type": "array", "items": link},
                },
            },
        },
    }


async def schema(request: web.Request) -> web.Response:
    """``GET /schemas/asset``."""
    return web.json_response(
        asset_schema(public_base(request)), content_type="application/schema+json"
    )


def links(doc: hal.Resource, base: str) -> None:
    """The unified view's links on the root."""
    doc.link("gw:assets", base + ASSETS, templated=True, title="Assets of every backend")
    doc.link("gw:asset", base + ASSET, templated=True, title="One asset by <backend>:<id>")
    doc.link(
        "gw:collections", base + COLLECTIONS, templated=True, title="Collections of every backend"
    )


def setup(app: web.Application) -> None:
    """Add the unified routes."""
    app[CURSORS] = CursorCodec(app[CONFIG].auth.signing_key.reveal())
    add_route(app, Route("GET", "/assets", list_assets))
    add_route(app, Route("GET", "/assets/{id}", get_asset))
    add_route(app, Route("GET", "/collections", list_collections))
    add_route(app, Route("GET", "/collections/{id}", get_collection))
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
