"""The data of the unified view: what an adapter lists, and how it is asked.

The core (:mod:`gateway.unified.routes`) asks each adapter for :class:`AssetPage` and
:class:`CollectionPage` objects through the contract in :mod:`gateway.spi.adapter`, and
turns the :class:`UnifiedAsset` and :class:`UnifiedCollection` items into HAL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

ASSET_TYPES: Final = ("video", "audio", "image", "group", "other")
"""The unified asset types."""


@dataclass(frozen=True, slots=True)
class AssetQuery:
    """A request for unified assets of one backend.

    ``text`` is the client's ``q`` (None: every asset), ``type`` one of
    :data:`ASSET_TYPES` (None: every type). ``offset`` and ``limit`` count in the
    sequence of assets that match, in the order the adapter lists them: the same
    query must list the same assets in the same order at every call, so that the
    unified list can page through it without gaps or repeats.
    """

    text: str | None = None
    type: str | None = None
    offset: int = 0
    limit: int = 25


@dataclass(frozen=True, slots=True)
class UnifiedAsset:
    """One asset of a backend, as the unified view shows it.

    Hrefs (``native``, ``thumbnail``, ``playback``) are paths under the backend's root on
    the gateway (``/media-objects/x``), which the core makes absolute, or absolute URLs
    (a media server's stream). ``collections`` are native ids of the backend's unified
    collections holding the asset.
    """

    native_id: str
    title: str
    type: str
    duration_ms: int | None = None
    created: str | None = None
    """ISO 8601 with time zone, as the upstream has it."""
    modified: str | None = None
    description: str | None = None
    native: str | None = None
    thumbnail: str | None = None
    playback: str | None = None
    collections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnifiedCollection:
    """One collection (or folder) of a backend, as the unified view shows it."""

    native_id: str
    title: str
    description: str | None = None
    created: str | None = None
    modified: str | None = None
    native: str | None = None
    item_count: int | None = None


@dataclass(slots=True)
class AssetPage:
    """Unified assets of one backend from the query's offset, in the backend's order.

    ``more`` says whether assets follow this page; ``total`` counts every match when
    the upstream says.
    """

    items: list[UnifiedAsset] = field(default_factory=list)
    more: bool = False
    total: int | None = None


@dataclass(slots=True)
class CollectionPage:
    """Unified collections of one backend from an offset, in the backend's order."""

    items: list[UnifiedCollection] = field(default_factory=list)
    more: bool = False
    total: int | None = None


def sort_key(title: str, native_id: str) -> tuple[str, str]:
    """The order of the unified lists within one backend: title (any case), then id.

    Adapters that sort in the gateway sort by this; the core merges backends by it.
    """
    return (title.casefold(), native_id)


def matches(text: str, title: str) -> bool:
    """Whether ``title`` holds every word of ``text``, in any case.

    For kinds whose upstream has no search, so that ``q`` means the same everywhere the
    gateway matches it itself.
    """
    folded = title.casefold()
    return all(word in folded for word in text.casefold().split())
