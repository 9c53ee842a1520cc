"""The gateway's entry points: the HAL root, the backend list and roots, the CTMS registry.

``GET /`` links everything a client needs (a client that prefers HTML, a person's
browser, is sent to the HAL browser instead); ``GET /serviceroots`` (and its CTMS aliases)
is the CTMS service-roots registry built from the entries each adapter contributes.
"""

from __future__ import annotations

import asyncio
import functools
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

from aiohttp import web

from gateway.api import browser, relations
from gateway.api.backend_root import backend_root
from gateway.auth import sso
from gateway.auth.access import caller, visible
from gateway.backends.runtime import BACKENDS, Backend
from gateway.config.roles import ADMIN
from gateway.spi.relations import GW_PREFIX, curie_template
from gateway.unified import documents as unified
from gateway.web import hal
from gateway.web.negotiation import choose
from gateway.web.routing import HAL_OUT, Route, add_route, hal_response
from gateway.web.urls import public_base

CTMS_ROOT: Final = "/apis/avid.ctms.registry;version=0;realm=global"
SERVICEROOTS_PATHS: Final = (
    "/serviceroots",
    CTMS_ROOT + "/serviceroots",
    "/apis/avid.ctms.registry;version=0/serviceroots",
)


@functools.cache  # reading distribution metadata scans site-packages: once is enough
def package_version() -> str:
    """The installed version of the gateway."""
    try:
        return version("hal-media-gateway")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def curies(resource: hal.Resource, request: web.Request, base: str, *, ctms: bool = False) -> None:
    """Add the CURIEs of the gateway's prefixes and of the kinds the caller may use."""
    prefixes = [GW_PREFIX, relations.REGISTRY_PREFIX]
    # Only the kinds the caller may use: the CURIEs of the others would name them.
    prefixes += sorted({type(b.adapter).curie for b in _visible(request)})
    if ctms:  # the registry keys its resources by CTMS relations too
        prefixes += sorted(relations.CTMS_RELATIONS)
    for prefix in prefixes:
        resource.curie(prefix, base + curie_template(prefix))


def _backend_link(resource: hal.Resource, backend: Backend, base: str) -> None:
    resource.add_link(
        "gw:backend",
        base + backend.adapter.path,
        name=backend.name,
        title=backend.adapter.backend.title,
    )


ROOT_OUT: Final = (*HAL_OUT, "text/html")
"""The root's answers: HAL, or for a client that prefers HTML a redirect to the browser."""


async def root(request: web.Request) -> web.Response:
    """``GET /``: the HAL root."""
    base = public_base(request)
    if choose(request.headers.get("Accept"), ROOT_OUT) == "text/html":
        # A person's browser: the HAL browser shows the root. */* and HAL clients get HAL.
        location = base + browser.PATH + "#/"
        return web.Response(status=307, headers={"Location": location, "Vary": "Accept"})
    doc = hal.Resource(
        {
            "title": "HAL media gateway",
            "version": package_version(),
            "description": "One HAL API in front of several media systems. "
            "Follow gw:backend to a backend, registry:serviceroots to every service.",
        }
    )
    doc.link("self", base + "/")
    curies(doc, request, base)
    doc.link("gw:browser", base + browser.PATH, type="text/html", title="HAL browser")
    doc.link("gw:login", base + "/auth/login", title="Log in (session cookie)")
    doc.link("gw:token", base + "/auth/token", title="OAuth2 token endpoint")
    doc.link(
        "gw:oauth-metadata",
        base + "/.well-known/oauth-authorization-server",
        title="OAuth2 authorization server metadata",
    )
    sso.login_link(doc, request)  # when single sign-on is configured
    who = caller(request)
    if who is None:
        # Anonymous callers see how to log in; what lies behind depends on who they are.
        return hal_response(doc)
    doc.link("gw:me", base + "/auth/me", title=f"Logged in as {who.name}")
    doc.link("gw:logout", base + "/auth/logout", title="Log out")
    if ADMIN in who.roles:
        doc.link("gw:admin", base + "/admin", title="Gateway administration")
    doc.link("registry:serviceroots", base + "/serviceroots", title="Service roots")
    doc.link("gw:backends", base + "/backends", title="Backends")
    unified.links(doc, base)
    doc.links_array("gw:backend")
    for backend in _visible(request):
        _backend_link(doc, backend, base)
    return hal_response(doc)


def _visible(request: web.Request) -> list[Backend]:
    """The backends the caller may use, in config order."""
    who = caller(request)
    return [b for b in request.app[BACKENDS] if visible(request, who, b)]


def _systems(backend: Backend) -> dict[str, str]:
    return {"systemType": backend.adapter.kind, "systemID": backend.name}


async def serviceroots(request: web.Request) -> web.Response:
    """``GET /serviceroots``: the CTMS service-roots registry."""
    base = public_base(request)
    backends = _visible(request)
    resources: dict[str, list[dict[str, Any]]] = {}

    def add(rel: str, href: str, templated: bool, backend: Backend) -> None:
        entries = resources.setdefault(rel, [])
        entries.append({"href": href, "templated": templated, "systems": [_systems(backend)]})

    # The unified view answers for every backend the caller may use at once.
    collecting = [b for b in backends if type(b.adapter).offers_collections]
    for rel, template, covered in (
        ("aa:assets", unified.ASSETS, backends),
        ("search:simple-search", unified.ASSETS, backends),
        ("gw:collections", unified.COLLECTIONS, collecting),
    ):
        if covered:
            entries = resources.setdefault(rel, [])
            systems = [_systems(b) for b in covered]
            entries.append({"href": base + template, "templated": True, "systems": systems})
    for backend in backends:
        add("gw:backend", base + backend.adapter.path, False, backend)
        for entry in backend.adapter.registry_entries():
            add(entry.rel, base + backend.adapter.path + entry.path, entry.templated, backend)
    doc = hal.Resource(
        {
            "systems": [
                {
                    **_systems(b),
                    "description": b.adapter.backend.title,
                }
                for b in backends
            ],
            "resources": resources,
        }
    )
    doc.link("self", base + "/serviceroots")
    curies(doc, request, base, ctms=True)
    return hal_response(doc)


async def ctms_root(request: web.Request) -> web.Response:
    """The CTMS registry root, for clients that start there."""
    base = public_base(request)
    doc = hal.Resource({"title": "Registry"})
    doc.link("self", base + CTMS_ROOT)
    curies(doc, request, base)
    doc.link("registry:serviceroots", base + "/serviceroots")
    return hal_response(doc)


async def backend_list(request: web.Request) -> web.Response:
    """``GET /backends``: every configured backend, embedded as its backend root."""
    base = public_base(request)
    backends = _visible(request)
    doc = hal.Resource({"count": len(backends)})
    doc.link("self", base + "/backends")
    curies(doc, request, base)
    doc.links_array("gw:backend")
    for backend in backends:
        _backend_link(doc, backend, base)
    roots = await asyncio.gather(*(backend_root(request, b, base) for b in backends))
    doc.embed("gw:backend", roots)
    return hal_response(doc)


def setup(app: web.Application) -> None:
    """Add the root and registry routes."""
    add_route(app, Route("GET", "/", root, produces=ROOT_OUT, access="public", answers=(200, 307)))
    add_route(app, Route("GET", CTMS_ROOT, ctms_root))
    for path in SERVICEROOTS_PATHS:
        add_route(app, Route("GET", path, serviceroots))
    add_route(app, Route("GET", "/backends", backend_list))
