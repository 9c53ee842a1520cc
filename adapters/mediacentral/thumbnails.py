"""Where an asset's thumbnail image lives, and whether the gateway may fetch it.

An asset's ``aa:thumb`` leads to a document naming the image's URL (thumb.html). On
Production Management that URL is on the workgroup host (``http://<host>/nxn/workgroup/
preview?...``), not on the platform. The gateway fetches an image:

- inside the chosen system's services (:meth:`Services.inside`), with the session;
- on an origin the backend lists in ``thumbnail_origins``, **without** credentials (the
  session is the platform's; that host gets none);
- from nowhere else: the route answers 404, since the client must not learn that host
  and the session must not reach it.

Advertising (the unified view's ``thumbnail``): an asset without ``aa:thumb``, or whose
``aa:thumb`` lies outside the chosen system's services, has none. Where the image itself
lives is known only by reading an ``aa:thumb`` document, which a listing cannot afford
per asset; a system keeps its images on one host, so without ``thumbnail_origins`` the
gateway reads the document of the first asset it maps with one, once per reading of the
registry, and advertises no thumbnails when that image lies outside the platform. With
``thumbnail_origins`` set nothing is read ahead: the operator has said where images are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal
from urllib.parse import urljoin

from adapters.mediacentral.discovery import HAL_ACCEPT, Discovery, Services, link_href, split_origin
from adapters.mediacentral.faults import text_or_none
from gateway.spi import UpstreamClient, UpstreamError

Place = Literal["platform", "listed"]
"""Where an image may be fetched from: the platform (with the session), or a listed
origin (without credentials)."""
_SCHEMES: Final = ("http", "https")


def check_origins(value: Any) -> str | None:
    """A config check: a list of ``http(s)://host[:port]`` origins, nothing after them."""
    if not isinstance(value, list | tuple):
        return 'must be a list of origins such as "http://workgroup.example:80"'
    for item in value:
        origin, rest = split_origin(item) if isinstance(item, str) else (None, "")
        if origin is None or origin.split(":", 1)[0] not in _SCHEMES or rest not in ("", "/"):
            return f"{item!r} is not an http(s) origin (scheme, host and port only)"
    return None


def origins_of(options: Mapping[str, Any]) -> frozenset[str]:
    """The backend's ``thumbnail_origins``, normalised as :func:`split_origin` does."""
    listed: Sequence[Any] = options.get("thumbnail_origins") or ()
    return frozenset(o for o in (split_origin(str(v))[0] for v in listed) if o)


class Thumbnails:
    """One backend's thumbnail hosts, and what it learned of the platform's."""

    def __init__(self, client: UpstreamClient, discovery: Discovery, origins: frozenset[str]):
        self.client = client
        self.discovery = discovery
        self.origins = origins
        self._learned: tuple[Services, bool] | None = None
        self._learning = asyncio.Lock()

    def place(self, image: str, services: Services) -> Place | None:
        """Where ``image`` may be fetched from; None: nowhere (the route's 404)."""
        if services.inside(image):
            return "platform"
        origin, rest = split_origin(image)
        if origin is not None and origin in self.origins and not rest.startswith("//"):
            return "listed"
        return None

    async def image_of(self, thumb_url: str) -> str | None:
        """The image URL the ``aa:thumb`` document at ``thumb_url`` names, if any."""
        found = await self.client.request("GET", thumb_url, headers={"Accept": HAL_ACCEPT})
        named = text_or_none(found.json_object().get("thumbnail"))
        return urljoin(found.url, named) if named else None

    async def served(self, doc: Mapping[str, Any], url: str | None = None) -> bool:
        """Whether the asset ``doc`` (from ``url``) may advertise its thumbnail."""
        href = link_href(doc, "aa:thumb")
        if href is None:
            return False
        services = await self.discovery.services()
        base = url or next((s.href for s in services.by_rel.values()), "")
        thumb_url = urljoin(base, href)
        if not services.inside(thumb_url):
            return False
        if self.origins:
            return True
        async with self._learning:  # one read ahead, however many assets are mapped at once
            if self._learned is not None and self._learned[0] is services:
                return self._learned[1]
            try:
                image = await self.image_of(thumb_url)
            except UpstreamError:
                return True  # nothing learned: the route decides when asked
            if image is None:
                return True  # this asset has none; the next one tells
            verdict = self.place(image, services) is not None
            self._learned = (services, verdict)
            return verdict
