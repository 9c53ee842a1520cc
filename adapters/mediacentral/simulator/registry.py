"""The simulated CTMS registry: the one entry point to every service.

- ``GET /apis/avid.ctms.registry;version=0;realm=global``: the registry root, whose
  ``registry:serviceroots`` link leads to the service roots (older platforms; left out
  when the simulator plays a newer platform).
- ``GET .../serviceroots`` (also ``/apis/avid.ctms.registry;version=0/serviceroots``):
  ``resources`` keyed by link relation, each an array of ``{href, templated, systems}``;
  relations the simulator is told to leave out are missing. A simulator told to refuse
registry reads answers them 401 ``avid.upstream/UNAUTHENTICATED``.
- ``GET /ctms-registry/v1`` and ``/ctms-registry/v1/serviceroots``: the same, as
  newer platforms serve it.

Hrefs are URI templates on the host the caller reached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from adapters.mediacentral.simulator.assets import SEARCH_TEMPLATE
from adapters.mediacentral.simulator.locations import ITEM_TEMPLATE, ROOT_ITEM_TEMPLATE
from adapters.mediacentral.simulator.plumbing import (
    curies,
    hal,
    origin,
    platform_of,
    unauthenticated,
)
from adapters.mediacentral.simulator.render import pam_base, search_base
from adapters.mediacentral.simulator.state import SYSTEM_ID, SYSTEM_TYPE, Json

LEGACY_ROOT: Final = "/apis/avid.ctms.registry;version=0;realm=global"
LEGACY_SHORT: Final = "/apis/avid.ctms.registry;version=0/serviceroots"
V1_ROOT: Final = "/ctms-registry/v1"
_PREFIXES: Final = ("registry", "aa", "loc", "search")
_Handler = Callable[[web.Request], Awaitable[web.Response]]


def _root(serviceroots: str) -> _Handler:
    async def handler(request: web.Request) -> web.Response:
        if platform_of(request).refuse_registry:
            return unauthenticated(platform_of(request), "Access token expired or invalid")
        base = origin(request)
        return hal(
            {
                "_links": {
                    "self": {"href": base + request.path},
                    "registry:serviceroots": {"href": base + serviceroots},
                    "curies": curies("registry"),
                }
            }
        )

    return handler


def _entry(href: str, templated: bool) -> list[Json]:
    return [
        {
            "href": href,
            "templated": templated,
            "systems": [{"systemType": SYSTEM_TYPE, "systemID": SYSTEM_ID}],
        }
    ]


async def serviceroots(request: web.Request) -> web.Response:
    """The service roots of every service of the platform."""
    platform = platform_of(request)
    if platform.refuse_registry:
        return unauthenticated(platform, "Access token expired or invalid")
    platform.counters.registry_reads += 1
    pam, search = pam_base(request), search_base(request)
    resources = {
        "loc:locations": _entry(pam + "/locations", False),
        "loc:root-item": _entry(pam + ROOT_ITEM_TEMPLATE, True),
        "loc:item-by-id": _entry(pam + ITEM_TEMPLATE, True),
        "aa:asset-by-id": _entry(pam + "/assets/{id}", True),
        "aa:update-asset-by-id": _entry(pam + "/assets/{id}", True),
        "search:simple-search": _entry(search + SEARCH_TEMPLATE, True),
    }
    return hal(
        {
            "systems": [
                {
                    "systemType": SYSTEM_TYPE,
                    "systemID": SYSTEM_ID,
                    "description": "Newsroom production asset management",
                }
            ],
            "resources": {
                rel: entry for rel, entry in resources.items() if rel not in platform.unadvertised
            },
            "_links": {
                "self": {"href": origin(request) + request.path},
                "curies": curies(*_PREFIXES),
            },
        }
    )


def add_routes(router: web.UrlDispatcher, *, legacy: bool) -> None:
    """The registry routes; the older entry point only when ``legacy``."""
    if legacy:
        router.add_get(LEGACY_ROOT, _root(LEGACY_ROOT + "/serviceroots"))
        router.add_get(LEGACY_ROOT + "/serviceroots", serviceroots)
        router.add_get(LEGACY_SHORT, serviceroots)
    router.add_get(V1_ROOT, _root(V1_ROOT + "/serviceroots"))
    router.add_get(V1_ROOT + "/serviceroots", serviceroots)
