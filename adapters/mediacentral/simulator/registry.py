"""The simulated CTMS registry: the one entry point to every service of every system.

- ``GET /ctms-registry/v1``: everything the registry holds, ``resources`` and
  ``systems`` (CloudUX 2023.11 and newer; ctms_registry_client.html). Left out when the
  simulator plays an older platform (``registry="legacy"``), or answered 200 with the
  web client's HTML page (``registry="web-fallback"``); ``v1_status`` makes it answer
  that status instead.
- ``GET /apis/avid.ctms.registry;version=0;realm=global``: the older root, whose
  ``registry:serviceroots`` link is the template ``.../serviceroots{?rels}``.
- ``GET .../serviceroots{?rels}`` and ``/apis/avid.ctms.registry;version=0/serviceroots``
  (the path every sample client reads): the same document, ``rels`` keeping only the
  relations named.

``resources`` is keyed by link relation: one ``{href, templated, systems}`` entry per
system that offers it, each system's services under its own path
(``/apis/<service>;version=<n>;realm=<systemID>``). ``systems`` describes each system
(``systemType``, ``systemID``, ``name``, ``systemTypeName``, ``version``, ``host``).
Relations the simulator is told to leave out are missing. A simulator told to refuse
registry reads answers them 401 ``avid.upstream/UNAUTHENTICATED``.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from adapters.mediacentral.simulator.locations import ITEM_TEMPLATE, ROOT_ITEM_TEMPLATE
from adapters.mediacentral.simulator.plumbing import (
    PROBLEM,
    curies,
    hal,
    origin,
    platform_of,
    unauthenticated,
)
from adapters.mediacentral.simulator.search import SEARCH_TEMPLATE
from adapters.mediacentral.simulator.state import Catalogue, Json, RegistryVersion

LEGACY_ROOT: Final = "/apis/avid.ctms.registry;version=0;realm=global"
LEGACY_SHORT: Final = "/apis/avid.ctms.registry;version=0/serviceroots"
V1_ROOT: Final = "/ctms-registry/v1"
WEB_PAGE: Final = (
    "<!DOCTYPE html><html><head><title>MediaCentral</title></head><body></body></html>"
)
_PREFIXES: Final = ("registry", "aa", "loc", "search")
# (relation, path template under the system's service, templated)
_SERVICES: Final = (
    ("loc:locations", "/locations", False),
    ("loc:root-item", ROOT_ITEM_TEMPLATE, False),
    ("loc:item-by-id", ITEM_TEMPLATE, True),
    ("aa:asset-by-id", "/assets/{id}", True),
    ("aa:update-asset-by-id", "/assets/{id}", True),
    ("search:simple-search", SEARCH_TEMPLATE, True),
)


async def legacy_root(request: web.Request) -> web.Response:
    """The older registry root: a link to the service roots, as a URI template."""
    platform = platform_of(request)
    if platform.refuse_registry:
        return unauthenticated(platform, "Access token expired or invalid")
    base = origin(request)
    return hal(
        {
            "_links": {
                "self": {"href": base + LEGACY_ROOT},
                "registry:serviceroots": {
                    "href": base + LEGACY_ROOT + "/serviceroots{?rels}",
                    "templated": True,
                },
                "curies": curies("registry"),
            }
        }
    )


def _system(request: web.Request, catalogue: Catalogue) -> Json:
    system = catalogue.system
    return {
        "systemType": system.system_type,
        "systemID": system.system_id,
        "name": system.name,
        "systemTypeName": system.type_name,
        "version": system.version,
        "host": request.host,
    }


def _wanted(request: web.Request) -> set[str] | None:
    """The relations ``rels`` names (repeated or comma-separated); None: every one."""
    named = [rel for value in request.query.getall("rels", []) for rel in value.split(",")]
    return {rel for rel in named if rel} or None


async def serviceroots(request: web.Request) -> web.Response:
    """The service roots of every service of every system of the platform."""
    platform = platform_of(request)
    if platform.refuse_registry:
        return unauthenticated(platform, "Access token expired or invalid")
    platform.counters.registry_reads += 1
    wanted = _wanted(request)
    resources: dict[str, list[Json]] = {}
    for rel, template, templated in _SERVICES:
        if rel in platform.unadvertised or (wanted is not None and rel not in wanted):
            continue
        resources[rel] = [
            {
                "href": f"{origin(request)}/apis/{platform.segment(c)}{template}",
                "templated": templated,
            }
            | (
                {"systems": [{"systemType": c.system.system_type, "systemID": c.system.system_id}]}
                if platform.names_systems
                else {}
            )
            for c in platform.catalogues
        ]
    systems = [_system(request, c) for c in platform.catalogues] if platform.names_systems else []
    return hal(
        {
            "systems": systems,
            "resources": resources,
            "_links": {
                "self": {"href": origin(request) + request.path_qs},
                "curies": curies(*_PREFIXES),
            },
        }
    )


async def web_page(request: web.Request) -> web.Response:
    """An older platform's web fallback: any unknown path is its HTML page, answered 200."""
    return web.Response(text=WEB_PAGE, content_type="text/html")


async def v1(request: web.Request) -> web.Response:
    """``/ctms-registry/v1``: the service roots, or the status the simulator is told to."""
    status = platform_of(request).v1_status
    if status is None:
        return await serviceroots(request)
    body = {"code": "avid.upstream/REFUSED", "message": "Not served", "params": {}}
    return web.json_response({**body, "status": status}, status=status, content_type=PROBLEM)


def add_routes(router: web.UrlDispatcher, *, version: RegistryVersion) -> None:
    """The registry routes; ``/ctms-registry/v1`` on a ``current`` platform, its web
    page on a ``web-fallback`` one."""
    router.add_get(LEGACY_ROOT, legacy_root)
    router.add_get(LEGACY_ROOT + "/serviceroots", serviceroots)
    router.add_get(LEGACY_SHORT, serviceroots)
    if version == "current":
        router.add_get(V1_ROOT, v1)
    elif version == "web-fallback":
        router.add_get(V1_ROOT, web_page)
