"""The platform's folder and asset documents, read for the unified view.

Folders and their entries as the CTMS location service gives them, the unified type and
duration of an asset document, and the windowing and bounded concurrency the folder walk
uses (:mod:`adapters.mediacentral.unified`).

As the CTMS pages and all three sample clients (``FastPrintFolderStructure.*``) read
them: a folder is an item that links ``loc:collection`` (folder_structure.html); its
children sit in the embedded ``loc:collection``, whose own ``paging`` and ``next``
continue the listing with further ``loc:collection`` pages; one child alone may be an
object rather than an array. An asset in a folder is a ``folder-item`` with an id of
its own, its asset linked (and, when asked with ``embed=asset``, embedded) as
``loc:referenced-object``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from adapters.mediacentral import relations
from adapters.mediacentral.discovery import link_href
from adapters.mediacentral.faults import text_or_none
from gateway.spi import UnifiedCollection, path_segment

Json = dict[str, Any]
T = TypeVar("T")
R = TypeVar("R")

READS_AT_ONCE: Final = 8
"""Folder or asset reads of one list under way at once."""
FOLDER: Final = "folder"
COLLECTION: Final = "loc:collection"
REFERENCED: Final = "loc:referenced-object"
TYPES: Final = {
    "masterclip": "video",
    "subclip": "video",
    "sequence": "video",
    "group": "group",
    "asset.video": "video",
    "asset.audio": "audio",
}
"""Asset types (``base.type``: Production Management's, and Asset Management's
``asset.VIDEO`` of asset.html, compared in lower case) → unified types; any other
type is ``other``."""
FRAMES_PER_SECOND: Final = 25.0
"""The documents give durations as SMPTE timecodes without their rate: PAL's is assumed."""
DROP_FRAME_RATE: Final = 30000 / 1001
_TIMECODE: Final = re.compile(r"(\d+):(\d{2}):(\d{2})([:;.,])(\d{2,3})")


def timecode_ms(value: Any) -> int | None:
    """Milliseconds of an ``HH:MM:SS:FF`` duration; ``;`` marks NTSC drop-frame timecode."""
    found = _TIMECODE.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        return None
    hours, minutes, seconds, separator, frames = found.groups()
    h, m, s, f = int(hours), int(minutes), int(seconds), int(frames)
    if separator in ";,":
        # Drop-frame labels skip frames 0 and 1 of each minute but every tenth.
        total_minutes = 60 * h + m
        count = (3600 * h + 60 * m + s) * 30 + f - 2 * (total_minutes - total_minutes // 10)
        return round(count * 1000 / DROP_FRAME_RATE)
    return round(((3600 * h + 60 * m + s) + f / FRAMES_PER_SECOND) * 1000)


def group(doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The attribute group (or other object) ``name`` of a document; empty if it has none."""
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def embedded_items(doc: Mapping[str, Any], rel: str) -> list[Json]:
    """The items embedded under ``rel`` (one or a list) that have an id."""
    value = group(doc, "_embedded").get(rel)
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict) and entry_id(item)]


def entry_id(item: Mapping[str, Any]) -> str:
    """An item's ``base.id`` as text; empty when it has none."""
    value = group(item, "base").get("id")
    return str(value) if value not in (None, "") else ""


def entry_name(item: Mapping[str, Any]) -> str:
    """An item's title: ``common.name``, else its id."""
    return str(group(item, "common").get("name") or entry_id(item))


def is_folder(item: Mapping[str, Any]) -> bool:
    """Whether the item is a folder: it links ``loc:collection``, or its type says so."""
    return (
        link_href(item, COLLECTION) is not None
        or str(group(item, "base").get("type", "")).lower() == FOLDER
    )


def collection_of(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """The part of a folder page that holds its children and its ``next``: the embedded
    ``loc:collection`` of a folder, or the page itself (a ``loc:collection`` page)."""
    return group(group(doc, "_embedded"), COLLECTION) or doc


def referenced(item: Mapping[str, Any]) -> Json | None:
    """The asset a folder item embeds as ``loc:referenced-object``, if it does."""
    found = embedded_items(item, REFERENCED)
    return found[0] if found else None


def unified_type(item: Mapping[str, Any]) -> str:
    """The unified type of a CTMS item from its ``base.type``."""
    return TYPES.get(str(group(item, "base").get("type", "")).lower(), "other")


def route(template: str, item_id: str) -> str:
    """The gateway path of a relation's route (``template``) for one item, query left off."""
    return template.split("{?", 1)[0].replace("{id}", path_segment(item_id))


@dataclass(frozen=True, slots=True)
class Entry:
    """An asset as a list shows it (a search hit, or the asset a folder item embeds),
    and the folder it was found in."""

    item: Json
    folder: str | None = None
    """The folder the walk found it in; None for a search hit."""

    @property
    def id(self) -> str:
        """The asset's id."""
        return entry_id(self.item)


@dataclass(slots=True)
class Folder:
    """One folder as the walk saw it: its first page, its subfolders and its assets."""

    doc: Json
    subfolders: list[str] = field(default_factory=list)
    """The ids of the children that are folders."""
    assets: list[Entry] = field(default_factory=list)
    """The assets of the children that are none, in the folder's order."""

    @property
    def id(self) -> str:
        """The folder's id."""
        return entry_id(self.doc)

    def collection(self) -> UnifiedCollection:
        """The folder as a unified collection; its count is its assets'."""
        common = group(self.doc, "common")
        return UnifiedCollection(
            native_id=self.id,
            title=entry_name(self.doc),
            description=text_or_none(common.get("description")),
            created=text_or_none(common.get("created")),
            modified=text_or_none(common.get("modified")),
            native=route(relations.ITEM, self.id),
            item_count=len(self.assets),
        )


def window(items: Sequence[T], offset: int, limit: int) -> tuple[list[T], bool, int]:
    """Items ``offset`` to ``offset + limit``, whether more follow, and how many there are."""
    offset, limit = max(offset, 0), max(limit, 0)
    return list(items[offset : offset + limit]), len(items) > offset + limit, len(items)


def complete(entry: Entry) -> bool:
    """Whether the entry carries everything its unified asset shows (no read needed):
    a whole asset document (its dates and its ``aa:thumb`` link) found in a folder."""
    common = group(entry.item, "common")
    return (
        "created" in common
        and "modified" in common
        and link_href(entry.item, "aa:thumb") is not None
        and entry.folder is not None
    )


async def each(read: Callable[[T], Awaitable[R]], args: Sequence[T]) -> list[R]:
    """``read`` of every one of ``args``, at most :data:`READS_AT_ONCE` at once, in order.

    The first failure stops the reads still under way and is raised as it is.
    """
    slots = asyncio.Semaphore(READS_AT_ONCE)

    async def one(arg: T) -> R:
        async with slots:
            return await read(arg)

    failure: BaseException | None = None
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(arg)) for arg in args]
    except BaseExceptionGroup as failed:
        failure = failed.exceptions[0]
    if failure is not None:
        # Raised outside the handler, so it keeps its own cause and context.
        raise failure
    return [task.result() for task in tasks]


def of_type(kind: str | None) -> Callable[[Json], bool]:
    """Whether an item is of unified type ``kind`` (None: every item is)."""
    return lambda item: kind is None or unified_type(item) == kind
