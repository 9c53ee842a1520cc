"""The document at ``/backends/<name>``: the adapter's service root and what the core adds.

The adapter links its own services under its kind's prefix; the core adds ``ready`` (the
last probe passed, the circuit is not open) and, where the kind lists unified assets,
``gw:assets``: the unified list of this backend alone, so that a client lists any
backend's assets by one relation instead of a table of each kind's own. ``/backends``
embeds these same documents, so an embedded backend is the whole of its ``self``.
"""

from __future__ import annotations

from aiohttp import web

from gateway.backends.runtime import Backend
from gateway.unified.documents import backend_assets
from gateway.web import hal


async def backend_root(request: web.Request, backend: Backend, base: str) -> hal.Resource:
    """The backend root of ``backend`` without CURIEs (the document that holds it adds
    them); ``base`` is the public base URL."""
    doc = await backend.adapter.service_root(request, base)
    doc.properties["ready"] = backend.ready
    assets = backend_assets(base, backend)
    if assets is not None:
        doc.link("gw:assets", assets, templated=True, title=f"Assets of {backend.name}")
    return doc
