"""The seed data of the MediaCentral simulator: a small newsroom tree.

::

    Newsroom
    ├── News
    │   ├── Evening Bulletin     a sequence and the clips cut into it
    │   └── Morning Show         a multicamera group clip among its clips
    ├── Sports
    └── Archive

Asset ids look like Interplay MOB ids; folder ids are short and readable. Every
instance gets its own copy, so an update in one simulator never shows in another.
"""

from __future__ import annotations

from typing import Final

from adapters.mediacentral.simulator.state import Asset, Folder

_CREATED: Final = "2024-05-14T06:30:00.000Z"

# (folder id, name, parent id)
_FOLDERS: Final = (
    ("root", "Newsroom", None),
    ("news", "News", "root"),
    ("evening", "Evening Bulletin", "news"),
    ("morning", "Morning Show", "news"),
    ("sports", "Sports", "root"),
    ("archive", "Archive", "root"),
)

# (folder id, type, name, duration as SMPTE timecode at 25 fps, modified)
_ASSETS: Final = (
    ("evening", "sequence", "Evening bulletin 14 May", "00:28:30:00", "2024-05-14T18:59:12.000Z"),
    (
        "evening",
        "masterclip",
        "Harbour fire - wide shot",
        "00:01:12:08",
        "2024-05-14T16:02:44.000Z",
    ),
    ("evening", "masterclip", "Harbour fire - fire chief interview", "00:03:40:17", _CREATED),
    ("evening", "masterclip", "Harbour fire - aerial", "00:00:48:00", _CREATED),
    ("evening", "masterclip", "Council vote - exterior", "00:00:35:12", _CREATED),
    ("evening", "masterclip", "Council vote - mayor statement", "00:02:05:03", _CREATED),
    ("evening", "masterclip", "Weather - satellite loop", "00:00:20:00", _CREATED),
    ("morning", "sequence", "Morning show 15 May", "01:58:00:00", "2024-05-15T05:10:00.000Z"),
    ("morning", "masterclip", "Morning show - studio open", "00:00:45:00", _CREATED),
    ("morning", "masterclip", "Harbour fire - morning after", "00:01:55:21", _CREATED),
    ("sports", "sequence", "Cup final highlights", "00:04:30:00", "2024-05-14T22:40:00.000Z"),
    ("sports", "masterclip", "Cup final - first goal", "00:00:18:10", _CREATED),
    ("sports", "masterclip", "Cup final - trophy lift", "00:00:52:04", _CREATED),
    ("sports", "masterclip", "City marathon - start", "00:01:30:00", _CREATED),
    ("archive", "masterclip", "Harbour fire 1998 - archive footage", "00:06:12:00", _CREATED),
    ("archive", "sequence", "Council history package", "00:03:00:00", _CREATED),
    # Last, so the ids above stay as they were. A group clip (Interplay's multicamera
    # clip) is an asset that is not plain video.
    ("morning", "group", "Morning show - studio guest interview", "00:08:15:00", _CREATED),
)


def _mob_id(number: int) -> str:
    """An id in the shape of an Interplay MOB id (SMPTE UMID material number)."""
    return f"060a2b340101010101010f0013-000000-{number:016x}"


def seed() -> tuple[dict[str, Folder], dict[str, Asset], str]:
    """Fresh folders and assets, and the root folder's id."""
    folders: dict[str, Folder] = {}
    for folder_id, name, parent in _FOLDERS:
        folders[folder_id] = Folder(folder_id, name, parent, _CREATED, _CREATED)
        if parent is not None:
            folders[parent].children.append(folder_id)
    assets: dict[str, Asset] = {}
    for number, (folder_id, kind, name, duration, modified) in enumerate(_ASSETS, start=1):
        asset = Asset(_mob_id(number), kind, name, duration, folder_id, _CREATED, modified)
        assets[asset.id] = asset
        folders[folder_id].children.append(asset.id)
    return folders, assets, "root"
