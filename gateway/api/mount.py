"""Mounting the backends: each one's root at ``/backends/<name>`` and its adapter's routes below.

The core serves the backend root (the adapter builds the document, the core adds the
CURIEs, ``ready`` and ``gw:assets``: :mod:`gateway.api.backend_root`); every route an
adapter declares is mounted under its backend's path and tagged with the backend's name,
so the access middleware applies the backend's roles.
"""

from __future__ import annotations

import dataclasses

from aiohttp import web

from gateway.api.backend_root import backend_root
from gateway.api.registry import curies
from gateway.backends.runtime import BACKENDS, Backend
from gateway.web.routing import Route, add_route, hal_response
from gateway.web.urls import public_base


def _backend_root(backend: Backend) -> Route:
    async def handler(request: web.Request) -> web.Response:
        base = public_base(request)
        doc = await backend_root(request, backend, base)
        curies(doc, request, base)
        return hal_response(doc)

    summary = f"The root of backend {backend.name}: its services"
    return Route("GET", backend.adapter.path, handler, backend=backend.name, summary=summary)


def setup(app: web.Application) -> None:
    """Add every backend's root and routes."""
    for backend in app[BACKENDS]:
        add_route(app, _backend_root(backend))
        for route in backend.adapter.routes():
            add_route(
                app,
                dataclasses.replace(
                    route, path=backend.adapter.path + route.path, backend=backend.name
                ),
            )
