"""HTTP caching: ETags and 304, Cache-Control and Vary, the response cache, If-Match and 412.

Every 200 answer to a GET or HEAD with a JSON body (``application/json``,
``application/hal+json``, any ``+json``) gets a strong ``ETag``
(:func:`gateway.caching.etags.etag_of`; a tag the handler set stays) and
``Vary: Accept`` (plus ``Authorization, Cookie`` for a logged-in caller: the answer
depends on who asks); an ``If-None-Match`` naming its tag is answered 304 with no body.
A backend's answers also get ``Cache-Control: private, max-age=N`` (its
``cache_max_age_s``; ``private, no-cache`` when 0) unless the handler set its own.

Answers of a backend with ``cache_max_age_s`` above 0 are kept in the
:class:`~gateway.caching.responses.ResponseCache` and served from it, without calling
the upstream, to callers with the same key (:func:`cache_key`). Any unsafe request to a
backend's route empties that backend's entries, whatever it answered.

``If-Match`` on a PUT, PATCH or DELETE of a backend's resource is checked against the
representation the resource's GET gives now, before the handler runs: a mismatch, or a
resource that is not there, is 412 and nothing is sent upstream. The tags of its
HAL-FORMS answer count too, whatever the write's own ``Accept``.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware
from multidict import CIMultiDict

from gateway.auth.access import caller
from gateway.auth.identity import SAFE_METHODS, Identity
from gateway.backends.runtime import BACKENDS
from gateway.caching import etags
from gateway.caching.responses import Entry, ResponseCache
from gateway.web import halforms
from gateway.web.errors import GatewayError, PreconditionFailed
from gateway.web.metrics import CacheMetrics, Metrics
from gateway.web.negotiation import choose, merge_vary
from gateway.web.routing import ROUTE_META, Handler, RouteMeta, route_meta
from gateway.web.urls import public_base

log = logging.getLogger(__name__)

RESPONSE_CACHE: Final = web.AppKey("response_cache", ResponseCache)
CONDITIONAL_WRITES: Final = frozenset({"PUT", "PATCH", "DELETE"})
_KEPT_OUT: Final = frozenset({"content-length", "date", "set-cookie", "age"})
"""Headers never stored in an entry: the server sets them per answer."""
_NOT_MODIFIED_HEADERS: Final = ("ETag", "Cache-Control", "Vary", "Content-Location", "Expires")
"""What a 304 repeats of the 200 it stands for (RFC 9110, section 15.4.5)."""


def is_json(content_type: str) -> bool:
    """Whether answers of ``content_type`` get an ETag (and may be cached)."""
    media = content_type.lower()
    return media in ("application/json", "application/hal+json") or media.endswith("+json")


def cache_control(max_age_s: float) -> str:
    """The ``Cache-Control`` of a backend's answers."""
    if max_age_s <= 0:
        return "private, no-cache"
    return f"private, max-age={int(max_age_s)}"


def _header(request: web.Request, name: str) -> str | None:
    # Repeated fields are one list (RFC 9110, section 5.3).
    values = request.headers.getall(name, [])
    return ", ".join(values) if values else None


def _vary_names(who: Identity | None) -> tuple[str, ...]:
    return ("Accept", "Authorization", "Cookie") if who is not None else ("Accept",)


def _max_age(request: web.Request, meta: RouteMeta | None) -> float | None:
    """The backend's ``cache_max_age_s`` for a backend's route, None for the others."""
    if meta is None or meta.backend is None:
        return None
    backend = request.app[BACKENDS].get(meta.backend)
    return backend.adapter.backend.cache_max_age_s if backend is not None else None


async def cache_key(
    request: web.Request, cache: ResponseCache, meta: RouteMeta, who: Identity
) -> Hashable | None:
    """The key of the entry that may answer ``request``, or None when none may.

    It holds the backend and its generation, whose upstream credentials the caller's
    calls use (the service's, or their own on a per-user backend), the caller's roles
    (what an answer shows may depend on them), the public base URL (hrefs start with
    it), the path and query, and the media type the ``Accept`` header chooses.
    """
    assert meta.backend is not None
    backends = request.app[BACKENDS]
    backend = backends.get(meta.backend)
    if backend is None:
        return None
    media = choose(request.headers.get("Accept"), meta.produces) if meta.produces else ""
    if media is None:
        return None
    try:
        generation = await cache.generation(meta.backend)
    except GatewayError:
        # The shared store is away: without its generation no entry is safe to serve.
        log.warning("backend %s: response cache skipped, the state store is away", meta.backend)
        return None
    return (
        meta.backend,
        generation,
        backends.auth(backend).scope(who),
        tuple(sorted(who.roles)),
        public_base(request),
        request.raw_path,
        media,
    )


def _not_modified(headers: CIMultiDict[str] | list[tuple[str, str]]) -> web.Response:
    source = CIMultiDict(headers)
    kept = {name: source[name] for name in _NOT_MODIFIED_HEADERS if name in source}
    return web.Response(status=304, headers=kept)


def _from_entry(request: web.Request, entry: Entry, now: float) -> web.Response:
    if etags.none_match(_header(request, "If-None-Match"), entry.etag):
        return _not_modified(list(entry.headers))
    response = web.Response(status=200, body=entry.body, headers=CIMultiDict(entry.headers))
    response.headers["Age"] = str(max(0, int(now - entry.stored_at)))
    return response


def _storable(response: web.Response, own_cache_control: bool) -> bool:
    if "Set-Cookie" in response.headers:
        return False
    if own_cache_control:
        return True
    directives = response.headers.get("Cache-Control", "").lower()
    return "no-store" not in directives and "no-cache" not in directives


async def _read(
    request: web.Request, handler: Handler, cache: ResponseCache, counts: CacheMetrics
) -> web.StreamResponse:
    """GET and HEAD: from the cache when an entry may answer, else the handler's answer."""
    meta = route_meta(request)
    who = caller(request)
    max_age = _max_age(request, meta)
    key = None
    if meta is not None and who is not None and max_age and cache.enabled:
        key = await cache_key(request, cache, meta, who)
        entry = cache.get(key) if key is not None else None
        if entry is not None:
            counts.hit(meta.backend or "")
            return _from_entry(request, entry, cache.clock())
        if key is not None:
            counts.miss(meta.backend or "")
    response = await handler(request)
    if (
        not isinstance(response, web.Response)
        or response.prepared
        or response.status != 200
        or not isinstance(response.body, bytes)
        or not is_json(response.content_type)
    ):
        return response
    body = response.body
    # A handler's own tag stands (one that checks If-Match itself compares against it).
    etag = response.headers.get("ETag") or etags.etag_of(response.content_type, body)
    response.headers["ETag"] = etag
    own_cache_control = max_age is not None and "Cache-Control" not in response.headers
    if max_age is not None and own_cache_control:
        response.headers["Cache-Control"] = cache_control(max_age)
    response.headers["Vary"] = merge_vary(response.headers.get("Vary"), *_vary_names(who))
    if key is not None and max_age and _storable(response, own_cache_control):
        headers = tuple((k, v) for k, v in response.headers.items() if k.lower() not in _KEPT_OUT)
        cache.put(key, Entry(body, headers, etag, cache.clock(), max_age))
    if etags.none_match(_header(request, "If-None-Match"), etag):
        return _not_modified(response.headers.copy())
    return response


async def current_etags(request: web.Request) -> tuple[bool, set[str]]:
    """Whether the resource of ``request`` exists, and the ETags of its current representation.

    Its GET handler answers, past the cache: the tag that handler set, else the tags of
    its answer in each media type the GET offers. A 404 (or no GET at all) is a resource that
    is not there; other errors propagate.
    """
    route = request.match_info.route
    getter = next((r for r in route.resource or () if r.method == "GET"), None)
    if getter is None:
        return False, set()
    get_meta = request.app.get(ROUTE_META, {}).get(getter)
    if get_meta is None or not get_meta.produces:
        # Relayed bytes (media, files) carry no tag of the gateway's, and their GET
        # writes to the connection as it goes: it must not run inside another request.
        raise PreconditionFailed(
            f"{request.path} has no entity tag the gateway can check (its content is relayed "
            "as it comes): nothing was written; send the write without If-Match"
        )
    forms = halforms.MEDIA_TYPE in get_meta.produces
    try:
        # Read with its templates: the tags of both answers come from this one read.
        with halforms.offered_in(request.app, forms):
            answer = await getter.handler(request.clone(method="GET"))
    except GatewayError as exc:
        if exc.http_status == 404:
            return False, set()
        raise
    if answer.status == 404:
        return False, set()
    if answer.status != 200 or not isinstance(answer, web.Response):
        return True, set()
    own = answer.headers.get("ETag")
    if own is not None:
        return True, {own}
    body = answer.body if isinstance(answer.body, bytes) else b""
    types = {answer.content_type, *get_meta.produces}
    bodies = {body, halforms.without_templates(body)} if forms else {body}
    return True, {etags.etag_of(t, b) for t in types for b in bodies}


async def _check_if_match(request: web.Request) -> None:
    """412 unless the ``If-Match`` of a PUT, PATCH or DELETE holds for the resource now."""
    value = _header(request, "If-Match")
    if value is None:
        return
    exists, current = await current_etags(request)
    if not etags.match(value, current, exists=exists):
        what = "is not there" if not exists else "changed since the If-Match tag was read"
        raise PreconditionFailed(
            f"{request.path} {what}: nothing was written; read it again, then retry with "
            "its current ETag"
        )


def middleware(cache: ResponseCache, metrics: Metrics | None = None) -> Middleware:
    """The caching middleware (after ``negotiation``: 406, 414 and 415 come first); hits and
    misses are counted in ``metrics``."""
    counted = (metrics if metrics is not None else Metrics.unrecorded()).cache()

    @web.middleware
    async def caching(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in ("GET", "HEAD"):
            return await _read(request, handler, cache, counted)
        meta = route_meta(request)
        if request.method in SAFE_METHODS or meta is None or meta.backend is None:
            return await handler(request)
        if request.method in CONDITIONAL_WRITES:
            await _check_if_match(request)
        try:
            return await handler(request)
        finally:
            # Whatever it answered, the upstream may have changed: a lost answer or an
            # error after a partial write must not leave a stale entry behind.
            await cache.written(meta.backend)

    return caching
