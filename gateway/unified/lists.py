"""One page of a list merged from several backends: fan out, merge, the next cursor.

Lists ask the backends concurrently (:mod:`gateway.unified.fanout`); each backend has
``server.fanout_budget_s`` to answer. A backend that fails or is too slow leaves the
list at 200 with ``partial: true`` and its problem in ``_embedded["gw:problem"]``; only
when every backend fails does the list fail, with the status most of them gave.

Order: a merge by title (case-insensitive), then id: the next item is always the one
with the smallest (title, id) among the next items of every backend, each backend's own
order kept. Pages continue with a signed cursor (:mod:`gateway.unified.cursor`) that
holds where each backend stands, so a list pages without gaps or repeats; a backend
that failed is asked again from where it stood on the next page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Protocol, TypeVar

from aiohttp import web

from gateway.auth.access import require_caller, visible
from gateway.backends.runtime import BACKENDS, Backend
from gateway.config.loading import CONFIG
from gateway.spi.assets import sort_key
from gateway.unified.cursor import CursorCodec, fingerprint
from gateway.unified.fanout import fan_out, merge, telling_error
from gateway.web import hal, problem
from gateway.web.errors import BadRequest, GatewayError, InternalError, NotOffered
from gateway.web.middlewares import request_id
from gateway.web.params import DEFAULT_PER_PAGE, MAX_MERGED_PER_PAGE, int_param
from gateway.web.routing import hal_response
from gateway.web.urls import public_base

CURSORS: Final = web.AppKey("cursors", CursorCodec)
CURSOR_TTL_S: Final = 3600
"""How long a cursor may be followed: a list is read now, not next week."""

log = logging.getLogger(__name__)


def usable(request: web.Request, *, collections: bool) -> list[Backend]:
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
    codec = request.app[CURSORS]
    data = codec.decode(cursor, query)
    stands, expires = data.get("at"), data.get("exp")
    if not isinstance(expires, int) or expires < codec.clock():
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


async def merged_list(
    request: web.Request,
    *,
    what: str,
    backends: Sequence[Backend],
    query: dict[str, Any],
    fetch: Callable[[Backend, int, int], Awaitable[_Page[ItemT]]],
    template: str,
    rel: str,
    make_doc: Callable[[str, Backend, ItemT], hal.Resource] | None = None,
    make_link: Callable[[str, Backend, ItemT], hal.Link] | None = None,
) -> web.Response:
    """One page of a list merged from ``backends``: fan out, merge, the next cursor.

    ``query`` holds the list's own parameters (kept on its links and in the cursor's
    fingerprint, with the caller: a cursor serves one caller and one query). Items are
    embedded under ``rel`` as ``make_doc`` makes them, which must be their whole
    representation, or linked as ``make_link`` makes them.
    """
    base = public_base(request)
    per_page = int_param(
        request, "per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_MERGED_PER_PAGE
    )
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
        codec = request.app[CURSORS]
        cursor = codec.encode(
            {
                "q": fp,
                "at": [positions[b.name] for b in backends],
                "exp": int(codec.clock()) + CURSOR_TTL_S,
            }
        )
        doc.link("next", hal.expand(template, per_page=per_page, cursor=cursor, **fixed))
    if make_link is not None:
        doc.links_array(rel)
        for name, item in merged:
            doc.add_link(rel, make_link(base, by_name[name], item))
    elif make_doc is not None:
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
