"""Finding the platform's services through its CTMS registry.

The registry is the one upstream path the adapter knows, tried in this order:
``/ctms-registry/v1`` (CloudUX 2023.11 and newer: the service roots themselves; on an
older platform a 404, 403, 405 or 406, or a 200 HTML page of its web client), the
older root ``/apis/avid.ctms.registry;version=0;realm=global`` (whose
``registry:serviceroots`` link is a URI template, ``.../serviceroots{?rels}``, expanded
before it is read), and ``/apis/avid.ctms.registry;version=0/serviceroots``, the path
the sample clients read (ctms_registry_client.html, ``PlatformTools.*``). The
service-roots document keys its ``resources`` by link relation, one entry per system;
every relation is taken from the backend's chosen system
(:mod:`adapters.mediacentral.systems`). :class:`Discovery` reads the registry once, on
first use, for all concurrent callers, and again when a caller reports that a
discovered href stopped working. A failed read answers for itself for
``FAILURE_HOLD_S`` seconds (and to every caller that was waiting for it), so a broken
registry is not read once per waiting request; but not a failure that belongs to the
identity whose session read it (a refused login, a 401 or 403): the next caller may be
somebody else.

A relation the registry does not advertise is a service the platform lacks: 503,
since the gateway's own routes need it and the client can do nothing about it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final
from urllib.parse import unquote, urljoin

from adapters.mediacentral.systems import UNCHOSEN, SystemChoice, choose
from adapters.mediacentral.templates import TemplateMatcher
from gateway.spi import (
    BackendBusy,
    BackendOpen,
    Remembered,
    UpstreamClient,
    UpstreamError,
    UpstreamLoginFailed,
    UpstreamStatusError,
    UpstreamUnavailable,
    hal,
)

REGISTRY_ENTRY_POINTS: Final = (
    "/ctms-registry/v1",
    "/apis/avid.ctms.registry;version=0;realm=global",
    "/apis/avid.ctms.registry;version=0/serviceroots",
)
HAL_ACCEPT: Final = "application/hal+json, application/json;q=0.9"
NOT_HERE: Final = (403, 404, 405, 406)
"""What ``/ctms-registry/v1`` answers on an older platform that lacks it, besides a 200
HTML page (a web client's fallback route): the next entry point is tried."""
_JSON_TYPES: Final = ("application/hal+json", "application/json")
_ORIGIN: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^/?#{}]*)(.*)$", re.DOTALL)
_DEFAULT_PORTS: Final = {"http": ":80", "https": ":443"}
FAILURE_HOLD_S: Final = 5.0
"""How long a failed registry read answers for itself before the next caller reads again."""


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


@dataclass(frozen=True)
class Service:
    """One discovered service: a relation and its (absolute) href."""

    rel: str
    href: str
    templated: bool

    @property
    def origin(self) -> str | None:
        """The origin the service lives on."""
        return split_origin(self.href)[0]

    @property
    def path_template(self) -> str:
        """The href without its origin: path and query template."""
        return split_origin(self.href)[1] or "/"

    @cached_property
    def matcher(self) -> TemplateMatcher:
        """The parsed path template, parsed once per discovered service."""
        return TemplateMatcher.parse(self.path_template)


@dataclass(frozen=True, slots=True)
class Services:
    """What the registry offered: services by relation, and the hosts they live on."""

    by_rel: Mapping[str, Service]
    origins: frozenset[str]
    """Every origin the platform answered from or linked to: all of them are upstream."""
    directories: tuple[tuple[str, str], ...] = field(default=())
    """(path prefix, origin) under which the services live; only those are passed through."""

    def get(self, rel: str) -> Service | None:
        """The service of ``rel``, if offered."""
        return self.by_rel.get(rel)

    def require(self, rels: str | tuple[str, ...], backend: str) -> Service:
        """The service of the first of ``rels`` offered; 503 when the platform has none."""
        wanted = (rels,) if isinstance(rels, str) else rels
        for rel in wanted:
            service = self.by_rel.get(rel)
            if service is not None:
                return service
        raise UpstreamUnavailable(
            f"backend {backend} cannot serve this: its platform's registry advertises no "
            f"{' or '.join(wanted)} service",
            backend=backend,
        )

    def origin_of(self, path: str) -> str | None:
        """The origin of the service ``path`` lies inside (never ``/auth``), if any.

        Services may live on other hosts than the registry's; the longest matching
        prefix decides, so a path is fetched from the host that serves it.
        """
        if path == "/auth" or path.startswith("/auth/"):
            return None
        found = [(len(p), o) for p, o in self.directories if path.startswith(p)]
        return max(found)[1] if found else None

    def inside(self, url: str) -> bool:
        """Whether an absolute ``url`` lies inside one of the chosen system's services, on
        the host that serves it: no other system's realm, no other host, no dot segments."""
        origin, rest = split_origin(url)
        path = rest.split("#", 1)[0].split("?", 1)[0]
        if origin is None or any(p in (".", "..") for p in unquote(path).split("/")):
            return False
        return self.origin_of(path) == origin


def _directory(path_template: str) -> str:
    """``/apis/x/assets/{id}`` → ``/apis/x/assets/``: the fixed part, up to its last slash."""
    fixed = re.split(r"[{?#]", path_template, maxsplit=1)[0]
    return fixed[: fixed.rfind("/") + 1] or "/"


def parse_serviceroots(
    doc: Mapping[str, Any],
    url: str,
    base_url: str,
    choice: SystemChoice = UNCHOSEN,
    backend: str = "",
) -> Services:
    """The services of the chosen system in a service-roots document fetched from ``url``.

    Raises :class:`~gateway.spi.UpstreamUnavailable` when the choice fits no system, or
    none is made and the registry lists several.
    """
    by_rel = {
        rel: Service(rel, urljoin(url, entry["href"]), entry.get("templated") is True)
        for rel, entry in choose(doc, choice, backend).items()
    }
    # Only the chosen system's hosts and paths: nothing of another passes through.
    origins = {split_origin(u)[0] for u in (base_url, url, *(s.href for s in by_rel.values()))}
    directories = sorted(
        {(_directory(s.path_template), s.origin) for s in by_rel.values() if s.origin}
    )
    return Services(by_rel, frozenset(o for o in origins if o), tuple(directories))


def _personal(exc: UpstreamError) -> bool:
    # The login holds its own refusals, per identity; a full call cap says nothing of
    # the platform and is over as soon as a call ends; an open circuit breaker keeps
    # failures in mind itself, and the next read must be free to be its trial.
    return isinstance(exc, UpstreamLoginFailed | BackendBusy | BackendOpen) or (
        isinstance(exc, UpstreamStatusError) and exc.upstream_status in (401, 403)
    )


class Discovery:
    """The registry of one backend, read once and shared."""

    def __init__(self, client: UpstreamClient, choice: SystemChoice = UNCHOSEN) -> None:
        self.client = client
        self.choice = choice
        self.clock: Callable[[], float] = time.monotonic
        """The clock a failed read is remembered by (seconds, monotonic)."""
        self._services: Services | None = None
        self._lock = asyncio.Lock()
        self._failure = Remembered[UpstreamError](FAILURE_HOLD_S)

    async def services(self) -> Services:
        """The discovered services; the first call reads the registry."""
        if self._services is not None:
            return self._services
        return await self._reread(None)

    async def refresh(self, stale: Services) -> Services:
        """Read the registry again because ``stale`` led somewhere that is gone.

        Callers that report the same stale services together cause one read.
        """
        return await self._reread(stale)

    async def _reread(self, stale: Services | None) -> Services:
        generation = self._failure.generation
        async with self._lock:
            if self._services is not None and self._services is not stale:
                return self._services  # read by another caller while this one waited
            failed = self._failure.get(self.clock(), since=generation)
            if failed is not None:
                raise failed
            try:
                self._services = await self._read()
            except UpstreamError as exc:
                if not _personal(exc):
                    self._failure.remember(exc, self.clock())
                raise
            self._failure.forget()
            return self._services

    async def _get(self, path_or_url: str, ok: tuple[int, ...] = (404,)) -> tuple[Any, str, int]:
        """The JSON document at ``path_or_url``; None for a status in ``ok`` or no JSON."""
        response = await self.client.request(
            "GET", path_or_url, headers={"Accept": HAL_ACCEPT}, ok=ok
        )
        if response.status >= 300 or response.content_type not in _JSON_TYPES:
            return None, response.url, response.status
        try:
            return response.json(), response.url, response.status
        except UpstreamUnavailable:
            return None, response.url, response.status  # JSON in name only: not a registry

    async def _read(self) -> Services:
        for entry in REGISTRY_ENTRY_POINTS:
            # Only the newest entry point is refused for being unknown (403/405/406): a
            # refusal of the older ones is the login's, and must reach its caller.
            doc, url, _ = await self._get(entry, NOT_HERE if entry.endswith("/v1") else (404,))
            if not isinstance(doc, dict):
                continue  # not here: an older platform, or a newer one without this one
            if "resources" not in doc:
                href = link_href(doc, "registry:serviceroots")
                if href is None:
                    continue
                # "{?rels}" left unset asks for every relation.
                doc, url, _ = await self._get(urljoin(url, hal.expand(href)))
                if not isinstance(doc, dict):
                    continue
            return parse_serviceroots(
                doc, url, self.client.base_url, self.choice, self.client.backend
            )
        raise UpstreamUnavailable(
            f"backend {self.client.backend} offers no CTMS registry", backend=self.client.backend
        )
