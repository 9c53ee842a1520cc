"""The Flex simulator's starting state: a small newsroom archive to explore.

Eight assets (a news programme with a proxy child file, an image, a disabled raw
interview, a deleted document, an asset group holding three of them, an approved audio
reel, a studio interview), their metadata, keyframes, annotations, comments and an
external id; a static and a dynamic collection; two accounts, users (one per configured
login, plus an editor and a reviewer), two workflow actions, two event handlers, two user
groups, two files in the filestore, and the events all that left. ``extra_assets`` adds
that many plain video clips named ``Clip 0001``, ``Clip 0002``, ... for paging through
long lists.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final

from adapters.flex.simulator.asset_collections import add_item, new_collection
from adapters.flex.simulator.assets import new_asset
from adapters.flex.simulator.keyframes import png
from adapters.flex.simulator.members import add_member
from adapters.flex.simulator.plumbing import Json
from adapters.flex.simulator.state import FlexState

OBJECT_TYPES: Final = (
    ("media-asset", "Media Asset", "Media Assets"),
    ("group-asset", "Group Asset", "Group Assets"),
    ("image-asset", "Image Asset", "Image Assets"),
    ("text-asset", "Text Asset", "Text Assets"),
    ("clip", "Clip", "Clips"),
    ("sequence", "Sequence", "Sequences"),
    ("collection", "Collection", "Collections"),
    ("action", "Action", "Actions"),
    ("event-handler", "Event Handler", "Event Handlers"),
    ("group", "Group", "Groups"),
)
IMAGE_FILE: Final = "3f9de7f0-f9a7-4141-a58f-6eda0518a15f.png"
JSON_FILE: Final = "8c0d1f4e-2b6a-4f0e-9a51-7d3e5b2c9a10.json"


def _common(sim: FlexState, type_name: str | None, owner: int | None) -> Json:
    out: Json = {"enabled": True, "deleted": False, "visibility": [], "_owner": owner}
    out["_account"] = next(iter(sim.records["accounts"]), None)
    if type_name is not None:
        out["_type"] = next(
            r["id"] for r in sim.records["objectTypes"].values() if r["name"] == type_name
        )
    return out


def _people(sim: FlexState, logins: Iterable[str]) -> str:
    for name in ("Master Account", "News Account"):
        sim.add("accounts", {"name": name, "displayName": name, "enabled": True, "deleted": False})
    for name, display, plural in OBJECT_TYPES:
        sim.add("objectTypes", {"name": name, "displayName": display, "pluralName": plural})
    names = [*dict.fromkeys([*logins, "editor", "reviewer"])]
    for name in names:
        sim.add("users", {"name": name, "displayName": name.title(), "enabled": True})
    return names[0]


def _assets(sim: FlexState, owner: str) -> list[Json]:
    specs: list[tuple[str, str, bool]] = [
        ("Evening News 2024-01-29", "VIDEO", False),
        ("Evening News 2024-01-29 (proxy)", "VIDEO", False),
        ("Weather map", "IMAGE", False),
        ("Interview raw footage", "VIDEO", False),
        ("Press release", "DOCUMENT", False),
        ("Morning Show package", "VIDEO", True),
        ("Archive reel 1968", "AUDIO", False),
        ("Studio interview, election night", "VIDEO", False),
    ]
    assets = [
        new_asset(sim, owner, {"name": n, "fileAssetType": t, "isGroup": g}) for n, t, g in specs
    ]
    news, proxy, weather, raw, release, package, reel, studio = assets
    for asset, size, file_name in (
        (news, 734003200, "evening-news.mxf"),
        (proxy, 52428800, "evening-news-proxy.mp4"),
        (weather, 204800, "weather.png"),
        (raw, 1073741824, "interview.mxf"),
        (release, 40960, "release.pdf"),
        (reel, 31457280, "reel-1968.wav"),
        (studio, 268435456, "studio-interview.mxf"),
    ):
        asset["size"] = size
        asset["fileInformation"] = {
            "originalFileName": file_name,
            "currentLocation": f"/storage/archive/{file_name}",
        }
    news.update(approved=True, published=True, assetContext={"duration": "00:28:30:00"})
    studio["assetContext"] = {"duration": "00:07:45:12"}
    proxy["_parent"] = news["id"]
    raw["enabled"] = False
    release["deleted"] = True
    reel["approved"] = True
    for child in (news, weather, raw):
        add_member(sim, package, child["id"])
    sim.metadata[news["id"]] = {
        "metadata": {
            "title": "Evening News",
            "keywords": {"keyword": ["news", "evening"]},
            "rights": {"@territory": "GB", "#text": "broadcast"},
        }
    }
    return assets


def _notes(sim: FlexState, news: Json, owner: str) -> None:
    user = sim.user_id(owner)
    for frame, name in ((250, "Opening titles"), (4500, "Weather")):
        sim.add("keyframes", {"name": name, "frame": frame, "_asset": news["id"]})
    sim.add(
        "annotations",
        {
            "content": "Audio drops for two seconds",
            "category": "QC",
            "originatorContext": "QCReport",
            "in": 1200,
            "out": 1250,
            "_asset": news["id"],
            "_owner": user,
        },
    )
    sim.add("comments", {"comment": "Cleared for broadcast", "_asset": news["id"], "_owner": user})
    sim.add("externalIds", {"key": "house-id", "value": "EN-20240129", "_asset": news["id"]})


def _workflow(sim: FlexState, owner: str) -> None:
    user = sim.user_id(owner)
    for name, kind, enabled in (
        ("Transcode to proxy", "transcode", True),
        ("Publish", "publish", False),
    ):
        sim.add(
            "actions",
            {
                "name": name,
                "displayName": name,
                "description": "",
                "type": {"name": kind},
                "pluginClass": f"tv.nativ.mio.plugins.{kind}",
                **_common(sim, "action", user),
                "enabled": enabled,
            },
        )
    for name, event_type in (("Notify on approval", "Asset Approve"), ("Purge", "Asset Delete")):
        sim.add(
            "eventHandlers",
            {
                "name": name,
                "displayName": name,
                "description": "",
                "eventType": event_type,
                **_common(sim, "event-handler", user),
            },
        )
    users = list(sim.records["users"])
    for name, members in (("Editors", users[:-1]), ("Reviewers", users[-1:])):
        sim.add(
            "groups",
            {
                "name": name,
                "displayName": name,
                "description": "",
                "_members": members,
                **_common(sim, "group", user),
            },
        )


def seed_state(logins: Iterable[str], extra_assets: int = 0) -> FlexState:
    """A fresh state; ``logins`` are the configured user names."""
    sim = FlexState()
    owner = _people(sim, logins)
    sim.add("metadataDefinitions", {"name": "programme", "displayName": "Programme metadata"})
    assets = _assets(sim, owner)
    _notes(sim, assets[0], owner)
    _workflow(sim, owner)
    highlights = new_collection(sim, owner, {"name": "Highlights", "description": "Best of"})
    for asset in (assets[0], assets[2]):
        add_item(sim, highlights["id"], asset)
    new_collection(
        sim, owner, {"name": "Approved video", "fql": "fileAssetType = VIDEO AND approved = true"}
    )
    sim.files[IMAGE_FILE] = ("image/png", png(8, 8, (200, 30, 30)))
    sim.files[JSON_FILE] = ("application/json", json.dumps({"format": "XDCAM HD"}).encode())
    upload = sim.record_event("Attachment Uploaded", owner, "assets", assets[0])
    upload["_file"] = IMAGE_FILE
    for number in range(1, extra_assets + 1):
        new_asset(sim, owner, {"name": f"Clip {number:04d}", "fileAssetType": "VIDEO"})
    return sim
