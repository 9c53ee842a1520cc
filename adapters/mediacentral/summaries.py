"""Items the platform embeds in part, made whole: HAL clients take an embedded resource
for the whole of its ``self`` and do not read it again, so a summary missing a link hides
that link from them.

- Folders: the platform embeds a folder's child folders (``loc:item`` entries of type
  ``folder`` in its ``loc:collection``) with ``self`` and ``loc:collection`` only, while
  a folder read by itself also links ``loc:locations``, the locations service. The
  gateway adds that link, from the registry's own ``loc:locations`` service
  (:func:`complete`): a summary of a folder would cost a read of the folder and its
  children to replace.
- Search hits: the platform's hits (``aa:asset``) carry ``self`` alone, while an asset
  links its thumbnail, the items that file it and more. Each hit is replaced by its
  asset as read by itself (:func:`whole_hits`), at most
  :data:`~adapters.mediacentral.entries.READS_AT_ONCE` reads at once; a hit whose asset
  is gone by then is left out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from adapters.mediacentral.discovery import Services
from adapters.mediacentral.entries import FOLDER, each, entry_id, group

LOCATIONS: Final = "loc:locations"
HITS: Final = "aa:asset"


def complete(doc: dict[str, Any], services: Services) -> dict[str, Any]:
    """``doc`` (an upstream document, changed in place) with its embedded folders' links
    completed; nothing changes when the platform offers no locations service."""
    service = services.get(LOCATIONS)
    if service is not None and not service.templated:
        _embedded(doc, service.href)
    return doc


def _embedded(doc: dict[str, Any], locations: str) -> None:
    for value in group(doc, "_embedded").values():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, dict):
                continue
            links = item.get("_links")
            folder = str(group(item, "base").get("type", "")).lower() == FOLDER
            if folder and isinstance(links, dict) and LOCATIONS not in links:
                links[LOCATIONS] = {"href": locations}
            _embedded(item, locations)


async def whole_hits(
    doc: dict[str, Any], read: Callable[[str], Awaitable[dict[str, Any] | None]]
) -> dict[str, Any]:
    """``doc`` (a search page, changed in place) with each hit replaced by its asset as
    ``read`` gives it by id (None: gone, the hit is left out)."""
    embedded = doc.get("_embedded")
    value = embedded.get(HITS) if isinstance(embedded, dict) else None
    if not isinstance(embedded, dict) or value is None:
        return doc
    hits = [h for h in (value if isinstance(value, list) else [value]) if isinstance(h, dict)]

    async def whole(hit: dict[str, Any]) -> dict[str, Any] | None:
        asset_id = entry_id(hit)
        return await read(asset_id) if asset_id else None

    found = [asset for asset in await each(whole, hits) if asset is not None]
    if isinstance(value, list):
        embedded[HITS] = found
    elif found:
        embedded[HITS] = found[0]  # the platform's way with one hit: an object
    else:
        del embedded[HITS]
    return doc
