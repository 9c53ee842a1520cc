"""Finding the platform's services through its CTMS registry.

The registry is the one upstream path the adapter knows: the older entry point
``/apis/avid.ctms.registry;version=0;realm=global`` (which links
``registry:serviceroots``) and, where a newer platform lacks it, ``/ctms-registry/v1``.
The service-roots document keys its ``resources`` by link relation; each is an array
of ``{href, templated, systems}`` entries and the first entry of a relation is the one
used. :class:`Discovery` reads the registry once, on first use, for all concurrent
callers, and again when a caller reports that a discovered href stopped working.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urljoin

from gateway.errors import NotOffered, UpstreamUnavailable
from gateway.upstream import UpstreamClient

REGISTRY_ENTRY_POINTS: Final = (
    "/apis/avid.ctms.registry;version=0;realm=global",
    "/ctms-registry/v1",
)
HAL_ACCEPT: Final = "application/hal+json, application/json;q=0.9"
_ORIGIN: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^/?#{}]*)(.*)$", re.DOTALL)
_DEFAULT_PORTS: Final = {"http": ":80", "https": ":443"}


def split_origin(href: str) -> tuple[str | None, str]:
    """``(origin, rest)`` of an absolute href (origin lower case, default port dropped).

    Works on URI templates too, whose braces confuse ``urlsplit``. A relative href
    has no origin.
    """
    found = _ORIGIN.match(href)
    if found is None:
        return None, href
    origin = found.group(1).lower()
    scheme = origin.split(":", 1)[0]
    default = _DEFAULT_PORTS.get(scheme)
    if default and origin.endswith(default):
        origin = origin[: -len(default)]
    return origin, found.group(2)


def link_href(doc: Mapping[str, Any], rel: str, name: str | None = None) -> str | None:
    """The href of ``rel`` in a HAL document (the one called ``name``, if given)."""
    links = doc.get("_links")
    value = links.get(rel) if isinstance(links, dict) else None
    candidates = value if isinstance(value, list) else [value]
    for link in candidates:
        if not isinstance(link, dict) or not isinstance(link.get("href"), str):
            continue
        if name is None or link.get("name") in (name, None):
            return str(link["href"])
    return None


@dataclass(frozen=True, slots=True)
class Service:
    """One discovered service: a relation and its (absolute) href."""

    rel: str
    href: str
    templated: bool

    @property
    def path_template(self) -> str:
        """The href without its origin: path and query template."""
        return split_origin(self.href)[1] or "/"


@dataclass(frozen=True, slots=True)
class Services:
    """What the registry offered: services by relation, and the hosts they live on."""

    by_rel: Mapping[str, Service]
    origins: frozenset[str]
    """Every origin the platform answered from or linked to: all of them are upstream."""
    directories: tuple[str, ...] = field(default=())
    """Path prefixes under which the services live; only those are passed through."""

    def get(self, rel: str) -> Service | None:
        """The service of ``rel``, if offered."""
        return self.by_rel.get(rel)

    def require(self, rel: str, backend: str) -> Service:
        """The service of ``rel``; 501 when the platform does not offer it."""
        service = self.by_rel.get(rel)
        if service is None:
            raise NotOffered(f"backend {backend} does not offer {rel}")
        return service

    def serves(self, path: str) -> bool:
        """True when ``path`` lies inside one of the services (and not in ``/auth``)."""
        if path == "/auth" or path.startswith("/auth/"):
            return False
        return any(path.startswith(prefix) for prefix in self.directories)


def _directory(path_template: str) -> str:
    """``/apis/x/assets/{id}`` → ``/apis/x/assets/``: the fixed part, up to its last slash."""
    fixed = re.split(r"[{?#]", path_template, maxsplit=1)[0]
    return fixed[: fixed.rfind("/") + 1] or "/"


def parse_serviceroots(doc: Mapping[str, Any], url: str, base_url: str) -> Services:
    """The services of a service-roots document fetched from ``url``."""
    resources = doc.get("resources")
    by_rel: dict[str, Service] = {}
    if isinstance(resources, dict):
        for rel, entries in resources.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, dict) and isinstance(entry.get("href"), str):
                    href = urljoin(url, entry["href"])
                    by_rel[str(rel)] = Service(str(rel), href, entry.get("templated") is True)
                    break
    origins = {split_origin(u)[0] for u in (base_url, url, *(s.href for s in by_rel.values()))}
    directories = sorted({_directory(s.path_template) for s in by_rel.values()})
    return Services(by_rel, frozenset(o for o in origins if o), tuple(directories))


class Discovery:
    """The registry of one backend, read once and shared."""

    def __init__(self, client: UpstreamClient) -> None:
        self.client = client
        self._services: Services | None = None
        self._lock = asyncio.Lock()

    async def services(self) -> Services:
        """The discovered services; the first call reads the registry."""
        if self._services is not None:
            return self._services
        async with self._lock:
            if self._services is None:
                self._services = await self._read()
            return self._services

    async def refresh(self, stale: Services) -> Services:
        """Read the registry again because ``stale`` led somewhere that is gone.

        Callers that report the same stale services together cause one read.
        """
        async with self._lock:
            if self._services is stale or self._services is None:
                self._services = await self._read()
            return self._services

    async def _get(self, path_or_url: str) -> tuple[Any, str, int]:
        response = await self.client.request(
            "GET", path_or_url, headers={"Accept": HAL_ACCEPT}, ok=(404,)
        )
        return (response.json() if response.status < 300 else None), response.url, response.status

    async def _read(self) -> Services:
        for entry in REGISTRY_ENTRY_POINTS:
            doc, url, status = await self._get(entry)
            if status == 404 or not isinstance(doc, dict):
                continue  # a newer platform without the older entry point
            if "resources" not in doc:
                href = link_href(doc, "registry:serviceroots")
                if href is None:
                    continue
                doc, url, status = await self._get(urljoin(url, href))
                if not isinstance(doc, dict):
                    continue
            return parse_serviceroots(doc, url, self.client.base_url)
        raise UpstreamUnavailable(
            f"backend {self.client.backend} offers no CTMS registry", backend=self.client.backend
        )
