"""Gateway paging over Flex lists: ``page``/``per_page`` ↔ ``;offset``/``;limit``.

Flex serves at most 100 items per request. A gateway page of up to 500 items
(``gateway.web.params.MAX_PER_PAGE``) is served by several upstream requests, one after the
other, each asking for at most 100 from where the previous answer ended: a server that
cuts pages shorter still fills the page, and no item is fetched twice. ``totalCount``
(``totalResults`` for collections and their items, which page with ``?offset&limit``
instead) gives the HAL ``page`` object and paging links.

Filter values travel as matrix parameters, percent-encoded, and the path is sent exactly
as built (``encoded=True``): a ``;`` inside a value stays ``%3B`` and cannot become a
parameter of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from adapters.flex.calls import ask
from gateway.spi import UpstreamClient, UpstreamUnavailable, hal

UPSTREAM_LIMIT: Final = 100

Json = dict[str, Any]


def matrix(path: str, params: Sequence[tuple[str, str]]) -> str:
    """``path`` with ``;key=value`` parameters, values percent-encoded."""
    return path + "".join(f";{key}={quote(value, safe='')}" for key, value in params)


@dataclass(slots=True)
class Window:
    """Items from ``offset`` on, and how many the whole list has."""

    items: list[Json]
    total: int


@dataclass(frozen=True, slots=True)
class Source:
    """Where a Flex list lives and how it pages.

    ``key`` names the items in the answer (``assets``, ``items``); ``total_key`` the
    count (``totalCount``, or ``totalResults`` for collections and their items);
    ``by_query`` says that offset and limit go in the query string instead of matrix
    parameters.
    """

    path: str
    key: str
    total_key: str = "totalCount"
    by_query: bool = False
    filters: tuple[tuple[str, str], ...] = ()


def collections(filters: Sequence[tuple[str, str]] = ()) -> Source:
    """The collections: paged by query and counted by ``totalResults``, as Flex does."""
    return Source("/api/collections", "collections", "totalResults", True, tuple(filters))


def collection_items(collection_id: str) -> Source:
    """The items of the collection ``collection_id`` (a checked uuid), paged likewise."""
    return Source(f"/api/collections/{collection_id}/items", "items", "totalResults", True)


def _window(data: Any, source: Source, backend: str) -> Window:
    if (
        not isinstance(data, Mapping)
        or not isinstance(data.get(source.key), list)
        or not isinstance(data.get(source.total_key), int)
    ):
        raise UpstreamUnavailable(
            f"backend {backend} answered with an unexpected list", backend=backend
        )
    return Window([i for i in data[source.key] if isinstance(i, dict)], data[source.total_key])


async def fetch(client: UpstreamClient, source: Source, offset: int, count: int) -> Window:
    """Up to ``count`` items from ``offset`` on, in requests of at most 100."""
    items: list[Json] = []
    total = 0
    while True:
        start, limit = offset + len(items), min(UPSTREAM_LIMIT, count - len(items))
        window = [("offset", str(start)), ("limit", str(limit))]
        if source.by_query:
            response = await ask(
                client, "GET", matrix(source.path, source.filters), params=window, encoded=True
            )
        else:
            response = await ask(
                client, "GET", matrix(source.path, [*source.filters, *window]), encoded=True
            )
        got = _window(response.json(), source, client.backend)
        items += got.items[:limit]
        total = got.total
        if not got.items or len(items) >= count or offset + len(items) >= total:
            return Window(items, total)


async def page(
    client: UpstreamClient,
    source: Source,
    page_number: int,
    per_page: int,
    template: str,
    rel: str,
    to_hal: Callable[[Json], hal.Resource],
    **fixed: Any,
) -> hal.Resource:
    """One gateway page of a Flex list: items embedded under ``rel``, HAL paging links.

    ``template`` is the absolute gateway URL template of the list; ``fixed`` are the
    query values to keep on every paging link.
    """
    window = await fetch(client, source, (page_number - 1) * per_page, per_page)
    doc = hal.Resource()
    doc.embed(rel, [to_hal(item) for item in window.items])
    return hal.add_paging(doc, template, hal.Page(page_number, per_page, window.total), **fixed)


async def assets_by_id(client: UpstreamClient, ids: list[str]) -> dict[str, Json]:
    """The assets with these ids, by id (as text), asked for 100 at a time.

    An id Flex does not know is simply not among them.
    """
    found: dict[str, Json] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), UPSTREAM_LIMIT):
        chunk = unique[start : start + UPSTREAM_LIMIT]
        params = [*(("id", i) for i in chunk), ("limit", str(len(chunk)))]
        response = await ask(client, "GET", matrix("/api/assets", params), encoded=True)
        assets = response.json_object().get("assets")
        for data in assets if isinstance(assets, list) else []:
            if isinstance(data, dict):
                found[str(data.get("id"))] = data
    return found
