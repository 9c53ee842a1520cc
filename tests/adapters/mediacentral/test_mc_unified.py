"""MediaCentral in the unified view: assets by search or folder tree, folders as collections.

The adapter's unified methods are called as the unified layer calls them: inside a
gateway request's identity, against the simulated platform on a loopback port.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapters.mediacentral.adapter import MediaCentralAdapter
from adapters.mediacentral.entries import timecode_ms
from adapters.mediacentral.simulator import MediaCentralSimulator
from gateway.auth.identity import Identity, acting_as
from gateway.backends.runtime import BACKENDS
from gateway.spi import AssetQuery
from gateway.web.errors import GatewayError, NotFound
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import auth_table, user_entry
from tests.support.mediacentral.fixtures import BACKEND, FLOWS, Connect
from tests.support.unified_paging import every_asset

ADMIN = Identity("admin", "user", frozenset({"admin"}))
INTERVIEWS = ["Harbour fire - fire chief interview", "Morning show - studio guest interview"]
EVENING = [
    "Evening bulletin 14 May",
    "Harbour fire - wide shot",
    "Harbour fire - fire chief interview",
    "Harbour fire - aerial",
    "Council vote - exterior",
    "Council vote - mayor statement",
    "Weather - satellite loop",
]
EVENING_ID = "/News/Evening Bulletin/"
FOLDERS = ["Archive", "Evening Bulletin", "Morning Show", "News", "Newsroom", "Sports"]


def adapter_of(client: TestClient[Any, Any], name: str = BACKEND) -> MediaCentralAdapter:
    """The adapter the gateway built for backend ``name``."""
    backend = client.app[BACKENDS].get(name)
    assert backend is not None
    assert isinstance(backend.adapter, MediaCentralAdapter)
    return backend.adapter


@pytest.fixture
async def client(simulator: MediaCentralSimulator, connect: Connect) -> TestClient[Any, Any]:
    """A gateway in front of the simulated newsroom platform."""
    return await connect(simulator)


@pytest.fixture
def adapter(client: TestClient[Any, Any]) -> MediaCentralAdapter:
    """The newsroom backend's adapter."""
    return adapter_of(client)


def expected(sim: MediaCentralSimulator, text: str | None, kind: str | None) -> list[str]:
    """Ids of the platform's assets a query should list, in name-then-id order."""
    words = (text or "").lower().split()
    types = {"masterclip": "video", "sequence": "video", "group": "group"}
    hits = [
        a
        for a in sim.platform.assets.values()
        if all(w in a.name.lower() for w in words) and kind in (None, types[a.type])
    ]
    return [a.id for a in sorted(hits, key=lambda a: (a.name.lower(), a.id))]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param(None, None, id="everything-from-the-folder-tree"),
        pytest.param(None, "video", id="videos-from-the-folder-tree"),
        pytest.param(None, "group", id="group-clips-from-the-folder-tree"),
        pytest.param("interview", None, id="searched"),
        pytest.param("harbour FIRE", "video", id="searched-videos"),
        pytest.param("interview", "group", id="searched-group-clips"),
        pytest.param("nothing-like-this", None, id="searched-nothing"),
    ],
)
@pytest.mark.parametrize("limit", [pytest.param(1, id="by-1"), pytest.param(4, id="by-4")])
async def test_paging_lists_every_match_once_in_a_stable_order(
    simulator: MediaCentralSimulator,
    adapter: MediaCentralAdapter,
    text: str | None,
    kind: str | None,
    limit: int,
) -> None:
    with acting_as(ADMIN):
        paged = await every_asset(adapter, AssetQuery(text, kind, limit=limit))
        whole = await adapter.list_assets(AssetQuery(text, kind, limit=100))
        again = await adapter.list_assets(AssetQuery(text, kind, limit=100))
    assert [a.native_id for a in paged] == expected(simulator, text, kind)
    assert paged == whole.items == again.items
    assert whole.more is False
    assert whole.total == len(paged)
    assert all(a.type == (kind or a.type) for a in paged)


async def test_interviews_are_found_by_search_and_the_type_filter_tells_them_apart(
    adapter: MediaCentralAdapter,
) -> None:
    with acting_as(ADMIN):
        found = await adapter.list_assets(AssetQuery("Interview"))
        videos = await adapter.list_assets(AssetQuery("interview", "video"))
        images = await adapter.list_assets(AssetQuery("interview", "image"))
        first = await adapter.list_assets(AssetQuery("interview", limit=1))
        second = await adapter.list_assets(AssetQuery("interview", offset=1, limit=1))
    assert [a.title for a in found.items] == INTERVIEWS
    assert [a.type for a in found.items] == ["video", "group"]
    assert found.total == 2
    assert [a.title for a in videos.items] == INTERVIEWS[:1]
    assert (images.items, images.more) == ([], False)
    assert (first.more, second.more) == (True, False)
    assert first.items + second.items == found.items


async def test_a_listed_asset_is_the_asset_opened_by_its_id(
    client: TestClient[Any, Any], adapter: MediaCentralAdapter
) -> None:
    with acting_as(ADMIN):
        listed = await adapter.list_assets(AssetQuery("wide shot"))
        [clip] = listed.items
        opened = await adapter.get_asset(clip.native_id)
        [in_folder] = [
            a for a in (await adapter.list_assets(AssetQuery())).items if a.title == clip.title
        ]
    # Opened by id or found by the search, an asset names no folder; the walk knows it.
    assert opened == clip == dataclasses.replace(in_folder, collections=())
    assert in_folder.collections == (EVENING_ID,)
    assert clip.title == "Harbour fire - wide shot"
    assert clip.type == "video"
    assert clip.duration_ms == 72_320  # 00:01:12:08 at 25 frames a second
    assert (clip.created, clip.modified) == ("2024-05-14T06:30:00.000Z", "2024-05-14T16:02:44.000Z")

    # The hrefs lead to the asset and, through its aa:thumb, its image on the gateway.
    root = f"/backends/{BACKEND}"
    assert clip.native is not None
    assert clip.thumbnail is not None
    async with client.get(root + clip.native) as response:
        assert response.status == 200
        assert (await response.json())["common"]["name"] == clip.title
    async with client.get(root + clip.thumbnail) as response:
        assert response.status == 200
        assert response.content_type == "image/png"


@pytest.mark.parametrize(
    ("text", "folder", "thumbnail"),
    [
        # The asset a folder item embeds links its aa:thumb; a search hit links none.
        pytest.param(None, ("/News/Evening Bulletin/",), True, id="from-the-folder-tree"),
        pytest.param("harbour", (), False, id="searched"),
    ],
)
@pytest.mark.parametrize("limit", [pytest.param(1, id="by-1"), pytest.param(4, id="by-4")])
async def test_an_asset_that_cannot_be_read_is_listed_from_its_entry(
    simulator: MediaCentralSimulator,
    adapter: MediaCentralAdapter,
    text: str | None,
    folder: tuple[str, ...],
    thumbnail: bool,
    limit: int,
) -> None:
    [gone] = [a for a in simulator.platform.assets.values() if a.name == "Harbour fire - aerial"]
    simulator.withdraw(gone.id)
    with acting_as(ADMIN):
        paged = await every_asset(adapter, AssetQuery(text, limit=limit))
        with pytest.raises(NotFound):
            await adapter.get_asset(gone.id)
    # Every entry is listed, once: offsets count what the platform listed.
    assert [a.native_id for a in paged] == expected(simulator, text, None)
    [shown] = [a for a in paged if a.native_id == gone.id]
    assert (shown.title, shown.type, shown.duration_ms) == (gone.name, "video", 48_000)
    assert shown.native == f"/assets/{gone.id}"
    assert shown.collections == folder
    assert (shown.thumbnail is not None) is thumbnail


@pytest.mark.parametrize("status", [403, 404])
async def test_a_folder_that_cannot_be_read_is_left_out_of_the_walk(
    simulator: MediaCentralSimulator, adapter: MediaCentralAdapter, status: int
) -> None:
    simulator.refuse_folder("/News/", status)  # and with it Evening Bulletin and Morning Show
    with acting_as(ADMIN):
        assets = await every_asset(adapter, AssetQuery(limit=4))
        folders = await adapter.list_collections(0, 10)
        with pytest.raises(GatewayError) as refused:
            await adapter.get_collection("/News/")
    visible = [
        a for a in simulator.platform.assets.values() if a.folder in ("/Sports/", "/Archive/")
    ]
    assert sorted(a.native_id for a in assets) == sorted(a.id for a in visible)
    assert [c.title for c in folders.items] == ["Archive", "Newsroom", "Sports"]
    assert (folders.more, folders.total) == (False, 3)
    assert refused.value.http_status == status


@pytest.mark.parametrize(
    "native_id",
    [
        pytest.param("060a2b340101010101010f0013-000000-00000000000000ff", id="unknown"),
        pytest.param("/News/", id="a-folder"),
    ],
)
async def test_an_id_that_is_no_asset_is_not_found(
    adapter: MediaCentralAdapter, native_id: str
) -> None:
    with acting_as(ADMIN), pytest.raises(GatewayError) as raised:
        await adapter.get_asset(native_id)
    assert raised.value.http_status == 404


async def test_folders_are_collections_and_their_assets_page_in_folder_order(
    simulator: MediaCentralSimulator, adapter: MediaCentralAdapter
) -> None:
    assert adapter.offers_collections is True
    with acting_as(ADMIN):
        first = await adapter.list_collections(0, 4)
        rest = await adapter.list_collections(4, 4)
        evening = await adapter.get_collection(EVENING_ID)
        pages = [await adapter.collection_items(EVENING_ID, start, 3) for start in (0, 3, 6)]
        beyond = await adapter.collection_items(EVENING_ID, 7, 3)
        clip = await adapter.get_asset(pages[0].items[1].native_id)
    folders = first.items + rest.items
    assert [c.title for c in folders] == FOLDERS
    assert (first.more, rest.more, first.total) == (True, False, len(FOLDERS))
    [listed] = [c for c in folders if c.native_id == EVENING_ID]
    assert evening == listed
    assert evening.title == "Evening Bulletin"
    assert evening.item_count == len(EVENING)
    assert evening.native == "/items/%2FNews%2FEvening%20Bulletin%2F"
    assert [c.item_count for c in folders if c.title in ("News", "Newsroom")] == [0, 0]

    assert [p.more for p in pages] == [True, True, False]
    assert [a.title for p in pages for a in p.items] == EVENING
    assert pages[0].total == len(EVENING)
    assert (beyond.items, beyond.more) == ([], False)
    assert pages[0].items[1] == dataclasses.replace(clip, collections=(EVENING_ID,))
    assert all(a.collections == (EVENING_ID,) for p in pages for a in p.items)


@pytest.mark.parametrize(
    "native_id",
    [
        pytest.param("no-such-folder", id="unknown"),
        pytest.param("060a2b340101010101010f0013-000000-0000000000000001", id="an-asset"),
    ],
)
async def test_an_id_that_is_no_folder_is_not_found(
    adapter: MediaCentralAdapter, native_id: str
) -> None:
    with acting_as(ADMIN):
        with pytest.raises(NotFound):
            await adapter.get_collection(native_id)
        with pytest.raises(NotFound):
            await adapter.collection_items(native_id, 0, 5)


async def test_the_unified_calls_reach_the_platform_as_the_acting_user(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    users = [
        user_entry("alice", "alice-gateway-password", ["reader"]),
        user_entry("admin", "admin-password", ["admin"]),
    ]
    table = {
        "kind": "mediacentral",
        "url": "simulator",
        **FLOWS["mcux"],
        "users": {"alice": {"username": "alice.mc", "password": "alice-mc-password"}},
    }
    client = await gateway(make_config(backends={BACKEND: table}, auth=auth_table(users=users)))
    backend = client.app[BACKENDS].get(BACKEND)
    assert backend is not None
    sim = backend.simulator
    assert isinstance(sim, MediaCentralSimulator)

    before = Counter(sim.counters.calls_by)
    with acting_as(Identity("alice", "user", frozenset({"reader"}))):
        found = await adapter_of(client).list_assets(AssetQuery("interview"))
    assert [a.title for a in found.items] == INTERVIEWS
    assert set(sim.counters.calls_by - before) == {"alice.mc"}


@pytest.mark.parametrize(
    ("timecode", "ms"),
    [
        pytest.param("00:00:01:00", 1_000, id="one-second"),
        pytest.param("01:58:00:00", 7_080_000, id="hours"),
        pytest.param("00:00:00:12", 480, id="frames-at-25"),
        pytest.param("00:01:00;02", 60_060, id="drop-frame"),
        pytest.param("an hour", None, id="not-a-timecode"),
        pytest.param(None, None, id="none"),
    ],
)
def test_timecodes_become_milliseconds(timecode: str | None, ms: int | None) -> None:
    assert timecode_ms(timecode) == ms
