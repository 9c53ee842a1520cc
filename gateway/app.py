"""Assembling the gateway application from a configuration."""

from __future__ import annotations

from aiohttp import web

from gateway import health, problem, registry, relations
from gateway.backends import BACKENDS, BackendSet
from gateway.config import CONFIG, GatewayConfig
from gateway.middlewares import STACK, add_request_id_header


def handler_args(config: GatewayConfig) -> dict[str, int]:
    """Arguments of aiohttp's request handler.

    The HTTP parser's line limit sits above ``max_uri_bytes`` so that an over-long
    URI reaches the limits middleware and gets a 414 problem; a request line past
    even that parser limit is refused by aiohttp itself with a plain 400.
    """
    return {"max_line_size": max(8190, 2 * config.server.max_uri_bytes + 1024)}


def create_app(config: GatewayConfig) -> web.Application:
    """The gateway for ``config``: routes, middlewares, backends and their lifecycle."""
    app = web.Application(
        middlewares=STACK,
        client_max_size=config.server.max_body_bytes,
        handler_args=handler_args(config),
    )
    app[CONFIG] = config
    backends = BackendSet.build(config)
    app[BACKENDS] = backends
    extra: dict[str, list[relations.RelationDoc]] = {}
    for backend in backends:
        extra.setdefault(type(backend.adapter).curie, []).extend(backend.adapter.relations())
    app[relations.RELATIONS] = relations.catalogue(extra)

    registry.setup(app)
    health.setup(app)
    relations.setup(app)
    problem.setup(app)
    app.cleanup_ctx.append(backends.lifecycle)
    app.on_response_prepare.append(add_request_id_header)
    return app
