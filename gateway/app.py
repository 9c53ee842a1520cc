"""Assembling the gateway application from a configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import aiohttp_session
import redis.asyncio as aioredis
from aiohttp import web

from gateway.api import (
    browser,
    health,
    metrics,
    mount,
    openapi,
    problem_docs,
    registry,
    relations,
)
from gateway.auth import idempotency, identity, ratelimit, sessions, sso
from gateway.auth import routes as authroutes
from gateway.auth.access import access
from gateway.auth.authenticator import AUTH, Authenticator
from gateway.auth.grants import OAUTH, OAuthServer
from gateway.backends.runtime import BACKENDS, BackendSet
from gateway.caching import middleware as caching
from gateway.caching.responses import ResponseCache
from gateway.config.loading import CONFIG, GatewayConfig
from gateway.spi.relations import RelationDoc
from gateway.state.base import StateStore
from gateway.state.memory_store import MemoryStore
from gateway.state.redis_store import RedisStore
from gateway.unified import routes as unified
from gateway.web import cors, halforms
from gateway.web.hosts import hosts, server_header
from gateway.web.metrics import METRICS, Metrics
from gateway.web.metrics import middleware as measured
from gateway.web.middlewares import (
    add_request_id_header,
    limits,
    negotiation,
    problems,
    request_ids,
)
from gateway.web.security import add_security_headers
from gateway.web.settings import HTTP

STORE: Final = web.AppKey("state_store", StateStore)
"""Upstream logins, revocations, failed-login windows, POST outcomes, rate-limit buckets,
upstream call slots (memory or Redis)."""


def handler_args(config: GatewayConfig) -> dict[str, float | bool]:
    """Arguments of aiohttp's request handler.

    The HTTP parser's line limit sits above ``max_uri_bytes`` so that an over-long
    URI reaches the limits middleware and gets a 414 problem; a request line past
    even that parser limit is refused by aiohttp itself with a plain 400.

    Request bodies are never inflated: aiohttp would inflate a ``Content-Encoding``
    body as it arrives, before any handler could refuse it (a small gzip bomb grew
    to tens of MB), so the limits middleware refuses encoded bodies with 415 instead.
    Idle connections close after ``keepalive_timeout_s`` (aiohttp also closes a new
    connection that sends no complete request within it).
    """
    return {
        "max_line_size": max(8190, 2 * config.server.max_uri_bytes + 1024),
        "auto_decompress": False,
        "keepalive_timeout": config.server.keepalive_timeout_s,
    }


def create_app(
    config: GatewayConfig, *, host: str | None = None, worker: int | None = None
) -> web.Application:
    """The gateway for ``config``: routes, middlewares, backends and their lifecycle.

    Middlewares, outermost first: request id, metrics, problems, hosts, CORS preflights,
    session, access, rate limits, limits, negotiation, caching, idempotency (see
    :mod:`gateway.web.middlewares`, :mod:`gateway.web.metrics`, :mod:`gateway.web.hosts`,
    :mod:`gateway.web.cors`, :mod:`gateway.auth.access`, :mod:`gateway.auth.ratelimit`,
    :mod:`gateway.caching.middleware` and :mod:`gateway.auth.idempotency`).

    ``host`` is the address the command serves on when it overrides ``server.host``, and
    ``worker`` the number of this worker of ``server.workers``: the metrics port follows
    both (:mod:`gateway.api.metrics`).
    """
    meter = Metrics()
    redis = None
    store: StateStore = MemoryStore()
    if config.session.store == "redis":
        # One connection pool for the sessions and the state store; it connects on first use.
        redis = aioredis.from_url(config.session.redis_url.reveal())
        store = RedisStore(redis, config.session.key_prefix, meter)
    cache = ResponseCache(config.server.cache_max_bytes, store)
    app = web.Application(
        middlewares=(
            request_ids,
            measured(meter),
            problems,
            hosts,
            cors.middleware(config.server.cors_origins),
            aiohttp_session.session_middleware(sessions.storage(config, redis, meter)),
            access,
            ratelimit.middleware(ratelimit.RateLimiter(config.server, store), meter),
            limits,
            negotiation,
            caching.middleware(cache, meter),
            idempotency.middleware(store),
        ),
        client_max_size=config.server.max_body_bytes,
        handler_args=handler_args(config),
    )
    app[CONFIG] = config
    app[HTTP] = config.server
    app[STORE] = store
    app[METRICS] = meter
    app[caching.RESPONSE_CACHE] = cache
    app[AUTH] = Authenticator(config.auth, store)
    app[OAUTH] = OAuthServer(app[AUTH])  # codes and refresh-token grants, in the same store
    app[halforms.PERMITS] = identity.permits  # templates only of the writes a caller may make
    backends = BackendSet.build(config, store, identity.current, meter)
    app[BACKENDS] = backends
    extra: dict[str, list[RelationDoc]] = {}
    for backend in backends:
        extra.setdefault(type(backend.adapter).curie, []).extend(backend.adapter.relations())
    app[relations.RELATIONS] = relations.catalogue(extra)

    registry.setup(app)
    mount.setup(app)
    authroutes.setup(app)
    sso.setup(app)  # when auth.oidc.client_id is set
    unified.setup(app)
    health.setup(app)
    metrics.setup(app, host=host, worker=worker)
    relations.setup(app)
    problem_docs.setup(app)
    browser.setup(app)
    openapi.setup(app)
    app.cleanup_ctx.append(_state_lifecycle)
    app.cleanup_ctx.append(backends.lifecycle)
    app.on_response_prepare.append(add_request_id_header)
    app.on_response_prepare.append(server_header)
    app.on_response_prepare.append(add_security_headers)
    app.on_response_prepare.append(ratelimit.add_rate_limit_headers)
    app.on_response_prepare.append(cors.hook(config.server.cors_origins))
    return app


async def _state_lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Close the token service's JWKS client and the state store on exit."""
    yield
    await app[AUTH].tokens.close()
    await app[STORE].close()
