"""The seed data of the MediaCentral simulator: a small newsroom tree per system.

::

    <system name>               the root folder, id "/"
    ├── News
    │   ├── Evening Bulletin     a sequence and the clips cut into it
    │   └── Morning Show         a multicamera group clip among its clips
    ├── Sports
    └── Archive

Every instance (and every system of it) gets its own copy, so an update in one never
shows in another.
"""

from __future__ import annotations

from typing import Final

from adapters.mediacentral.simulator.state import Catalogue, SimSystem

_CREATED: Final = "2024-05-14T06:30:00.000Z"

# (name, parent path; None under the root)
_FOLDERS: Final = (
    ("News", "/"),
    ("Evening Bulletin", "/News/"),
    ("Morning Show", "/News/"),
    ("Sports", "/"),
    ("Archive", "/"),
)

_EVENING: Final = "/News/Evening Bulletin/"
_MORNING: Final = "/News/Morning Show/"

# (folder path, type, name, duration as SMPTE timecode at 25 fps, modified)
_ASSETS: Final = (
    (_EVENING, "sequence", "Evening bulletin 14 May", "00:28:30:00", "2024-05-14T18:59:12.000Z"),
    (_EVENING, "masterclip", "Harbour fire - wide shot", "00:01:12:08", "2024-05-14T16:02:44.000Z"),
    (_EVENING, "masterclip", "Harbour fire - fire chief interview", "00:03:40:17", _CREATED),
    (_EVENING, "masterclip", "Harbour fire - aerial", "00:00:48:00", _CREATED),
    (_EVENING, "masterclip", "Council vote - exterior", "00:00:35:12", _CREATED),
    (_EVENING, "masterclip", "Council vote - mayor statement", "00:02:05:03", _CREATED),
    (_EVENING, "masterclip", "Weather - satellite loop", "00:00:20:00", _CREATED),
    (_MORNING, "sequence", "Morning show 15 May", "01:58:00:00", "2024-05-15T05:10:00.000Z"),
    (_MORNING, "masterclip", "Morning show - studio open", "00:00:45:00", _CREATED),
    (_MORNING, "masterclip", "Harbour fire - morning after", "00:01:55:21", _CREATED),
    ("/Sports/", "sequence", "Cup final highlights", "00:04:30:00", "2024-05-14T22:40:00.000Z"),
    ("/Sports/", "masterclip", "Cup final - first goal", "00:00:18:10", _CREATED),
    ("/Sports/", "masterclip", "Cup final - trophy lift", "00:00:52:04", _CREATED),
    ("/Sports/", "masterclip", "City marathon - start", "00:01:30:00", _CREATED),
    ("/Archive/", "masterclip", "Harbour fire 1998 - archive footage", "00:06:12:00", _CREATED),
    ("/Archive/", "sequence", "Council history package", "00:03:00:00", _CREATED),
    # A group clip (Interplay's multicamera clip) is an asset that is not plain video.
    (_MORNING, "group", "Morning show - studio guest interview", "00:08:15:00", _CREATED),
)

CLIP_CREATED: Final = _CREATED
"""When the clips filed later (:meth:`MediaCentralSimulator.file_clips`) were made."""


def seed(system: SimSystem, index: int) -> Catalogue:
    """A fresh tree of ``system``, the ``index``-th system of its platform."""
    catalogue = Catalogue(system, index)
    catalogue.add_folder(system.name, None, _CREATED)
    for name, parent in _FOLDERS:
        catalogue.add_folder(name, parent, _CREATED)
    for folder, kind, name, duration, modified in _ASSETS:
        catalogue.add_asset(folder, kind, name, duration, _CREATED, modified)
    return catalogue
