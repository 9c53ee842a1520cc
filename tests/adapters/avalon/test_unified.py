"""Avalon in the unified view: the adapter's asset and collection lists over real sockets.

The adapter's methods are called the way the core calls them, inside a request's
identity, against a gateway whose Avalon backends talk to the simulator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapters.avalon import mapping, unified
from adapters.avalon.adapter import AvalonAdapter
from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, DEFAULT_USER_KEY, AvalonSimulator
from gateway.auth.identity import Identity, acting_as
from gateway.backends.runtime import BACKENDS
from gateway.spi import ASSET_TYPES, AssetQuery, UnifiedAsset, UnifiedCollection
from gateway.web.errors import GatewayError
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.unified_paging import every_asset

ADMIN = Identity("admin", "user", frozenset({"admin"}))
INTERVIEWS = ["Oral history interview, reel 1", "Radio interview 1958"]
SOUND = ["Luna r642", "Radio interview 1958"]
COLLECTIONS = ["100 sec test", "2882 mallorn", "7.0 testing", "Krishna_Ptest"]


@pytest.fixture
async def simulator(start_simulator: StartSimulator[AvalonSimulator]) -> AvalonSimulator:
    return await start_simulator(AvalonSimulator())


@pytest.fixture
async def client(
    simulator: AvalonSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    """Two Avalon backends on one simulator: an administrator's token and a viewer's."""
    config = make_config(
        backends={
            "archive": {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_ADMIN_KEY},
            "readonly": {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_USER_KEY},
        }
    )
    return await gateway(config)


def _adapter(client: TestClient[Any, Any], name: str) -> AvalonAdapter:
    backend = client.app[BACKENDS].get(name)
    assert backend is not None
    assert isinstance(backend.adapter, AvalonAdapter)
    return backend.adapter


@pytest.fixture
def adapter(client: TestClient[Any, Any]) -> Iterator[AvalonAdapter]:
    """The ``archive`` adapter, with a request's identity bound as the core has it."""
    with acting_as(ADMIN):
        yield _adapter(client, "archive")


def titles(assets: list[UnifiedAsset]) -> list[str]:
    return [a.title for a in assets]


# --- listing ----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7])
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param(None, None, id="everything"),
        pytest.param("interview", None, id="text"),
        pytest.param(None, "video", id="type"),
        pytest.param("r", "audio", id="both"),
    ],
)
async def test_small_pages_list_every_match_once_in_one_order(
    adapter: AvalonAdapter, limit: int, text: str | None, kind: str | None
) -> None:
    query = AssetQuery(text=text, type=kind, limit=limit)
    everything = await adapter.list_assets(dataclasses.replace(query, limit=100))
    assert not everything.more
    paged = await every_asset(adapter, query)
    assert paged == everything.items
    assert len({a.native_id for a in paged}) == len(paged) > 0
    assert await every_asset(adapter, query) == paged  # the same again


BY_TITLE = [
    "100_item_8",
    "elec1 2882 bug",
    "Lease Test",
    "Luna r642",
    "mallorn reel 1",
    "mallorn reel 2",
    "mallorn reel 3",
    "Members lecture",
    "Open lecture",
    "Oral history interview, reel 1",
    "Radio interview 1958",
]
"""Every seeded media object's title, in the unified order (any case, then id)."""
AVALON_ORDER = ["1g05fb83r", "bn999672v", "vd66w000m", "cj82k7298", "mk61rh07c", "sx61dm430"]
"""The ids of the first six media objects in Avalon's own (creation) order."""


async def test_everything_is_listed_by_title_with_its_total(adapter: AvalonAdapter) -> None:
    page = await adapter.list_assets(AssetQuery(limit=3))
    assert titles(page.items) == BY_TITLE[:3]
    assert (page.more, page.total) == (True, 11)
    # Not Avalon's order: that starts with "Lease Test", "mallorn reel 1", "100_item_8".
    assert titles(await every_asset(adapter, AssetQuery(limit=4))) == BY_TITLE
    later = await adapter.list_assets(AssetQuery(offset=2, limit=3))
    assert titles(later.items) == BY_TITLE[2:5]


async def test_text_matches_every_word_in_any_order(adapter: AvalonAdapter) -> None:
    page = await adapter.list_assets(AssetQuery(text="1958 RADIO"))
    assert titles(page.items) == ["Radio interview 1958"]
    reels = await adapter.list_assets(AssetQuery(text="reel mallorn"))
    assert titles(reels.items) == ["mallorn reel 1", "mallorn reel 2", "mallorn reel 3"]
    assert (reels.more, reels.total) == (False, 3)


@pytest.mark.parametrize("text", ["interview", "INTERVIEW", " Interview "])
async def test_text_matches_titles_whatever_the_case(adapter: AvalonAdapter, text: str) -> None:
    page = await adapter.list_assets(AssetQuery(text=text))
    assert titles(page.items) == INTERVIEWS
    assert (page.more, page.total) == (False, 2)


async def test_text_that_matches_nothing_lists_nothing(adapter: AvalonAdapter) -> None:
    page = await adapter.list_assets(AssetQuery(text="no such title anywhere"))
    assert (page.items, page.more, page.total) == ([], False, 0)


async def test_types_split_the_list_in_its_order(adapter: AvalonAdapter) -> None:
    everything = await every_asset(adapter, AssetQuery(limit=100))
    by_type = {
        kind: await every_asset(adapter, AssetQuery(type=kind, limit=3)) for kind in ASSET_TYPES
    }
    assert titles(by_type["audio"]) == SOUND
    assert len(by_type["video"]) == 9
    assert (by_type["image"], by_type["group"], by_type["other"]) == ([], [], [])
    for kind, assets in by_type.items():
        assert assets == [a for a in everything if a.type == kind]


async def test_text_and_type_together(adapter: AvalonAdapter) -> None:
    page = await adapter.list_assets(AssetQuery(text="interview", type="audio"))
    assert titles(page.items) == ["Radio interview 1958"]
    video = await adapter.list_assets(AssetQuery(text="interview", type="video"))
    assert titles(video.items) == ["Oral history interview, reel 1"]


async def test_filters_read_avalon_page_after_page(
    adapter: AvalonAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = await every_asset(adapter, AssetQuery(type="video", limit=100))
    monkeypatch.setattr(unified, "CHUNK", 2)
    assert await every_asset(adapter, AssetQuery(type="video", limit=3)) == whole
    assert titles(await every_asset(adapter, AssetQuery(text="interview", limit=1))) == INTERVIEWS


async def test_every_list_reads_at_most_the_scan_limit(
    adapter: AvalonAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = await every_asset(adapter, AssetQuery(limit=100))
    monkeypatch.setattr(unified, "CHUNK", 4)
    monkeypatch.setattr(unified, "SCAN_LIMIT", 6)
    # The first six of Avalon's order, listed by title; the others are not listed.
    first_six = [a for a in everything if a.native_id in AVALON_ORDER]
    page = await adapter.list_assets(AssetQuery(limit=100))
    assert (page.items, page.more, page.total) == (first_six, False, 6)
    assert await every_asset(adapter, AssetQuery(limit=4)) == first_six
    videos = [a for a in first_six if a.type == "video"]
    assert await every_asset(adapter, AssetQuery(type="video", limit=2)) == videos


# --- one asset --------------------------------------------------------------------------


async def test_an_asset_is_what_the_list_shows(adapter: AvalonAdapter) -> None:
    for listed in await every_asset(adapter, AssetQuery(limit=100)):
        assert await adapter.get_asset(listed.native_id) == listed


async def test_a_media_object_as_an_asset(
    adapter: AvalonAdapter, client: TestClient[Any, Any]
) -> None:
    lease = await adapter.get_asset("1g05fb83r")
    assert (lease.title, lease.type, lease.duration_ms) == ("Lease Test", "video", 5312)
    assert lease.collections == ("p8418n203",)
    assert lease.playback is not None
    assert lease.playback.startswith("http")
    assert lease.playback.endswith(".m3u8")
    radio = await adapter.get_asset("mw22v545r")
    assert (radio.title, radio.type, radio.duration_ms) == (
        "Radio interview 1958",
        "audio",
        1800000,
    )
    # The native href is the gateway's own route for the media object.
    assert lease.native is not None
    response = await client.get(adapter.path + lease.native)
    assert response.status == 200
    assert (await response.json())["title"] == "Lease Test"


async def test_a_viewer_gets_what_avalon_shows_them(client: TestClient[Any, Any]) -> None:
    with acting_as(ADMIN):
        viewer = _adapter(client, "readonly")
        listed = await every_asset(viewer, AssetQuery(limit=1))
        assert titles(listed) == ["Members lecture", "Open lecture"]
        # Avalon's list shows every reader the master files (media_objects_controller.rb
        # :325); one object shows them to editors only (:339): nothing to play there.
        assert all(a.playback for a in listed)
        single = await viewer.get_asset("gt54kn04s")
        assert single.playback is None
        assert dataclasses.replace(single, playback=listed[1].playback) == listed[1]
        with pytest.raises(GatewayError) as refused:
            await viewer.get_asset("1g05fb83r")
        assert refused.value.http_status == 403  # Avalon's 401: not theirs to see


@pytest.mark.parametrize(
    ("duration", "ms"),
    [
        pytest.param("5312", 5312, id="milliseconds"),
        pytest.param("6315.0", 6315, id="with-a-decimal-part"),
        pytest.param("6315.6", 6316, id="rounded"),
        pytest.param(1800000, 1800000, id="a-number"),
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param("1:45:00", None, id="not-milliseconds"),
        pytest.param("-5", None, id="negative"),
        pytest.param("nan", None, id="not-a-number"),
    ],
)
def test_durations_are_avalons_milliseconds(duration: object, ms: int | None) -> None:
    data = {"id": "x", "title": "A", "fields": {"duration": duration}}
    assert mapping.unified_asset(data).duration_ms == ms


@pytest.mark.parametrize("native_id", ["zz999999z", "../admin/collections/d791sg31t"])
async def test_an_unknown_asset_is_not_found(adapter: AvalonAdapter, native_id: str) -> None:
    with pytest.raises(GatewayError) as info:
        await adapter.get_asset(native_id)
    assert info.value.http_status == 404


# --- collections ------------------------------------------------------------------------


async def test_collections_page_by_name(adapter: AvalonAdapter) -> None:
    for limit in (1, 2, 3):
        seen: list[UnifiedCollection] = []
        while True:
            page = await adapter.list_collections(len(seen), limit)
            seen += page.items
            assert page.total == len(COLLECTIONS)
            if not page.more:
                break
            assert len(page.items) == limit
        assert [c.title for c in seen] == COLLECTIONS
    mallorn = (await adapter.list_collections(1, 1)).items[0]
    assert (mallorn.native_id, mallorn.item_count) == ("d791sg31t", 5)
    assert mallorn.native == "/collections/d791sg31t"
    assert await adapter.get_collection("d791sg31t") == mallorn


async def test_collection_items_page_through(adapter: AvalonAdapter) -> None:
    items: list[UnifiedAsset] = []
    while True:
        page = await adapter.collection_items("jh343s44s", len(items), 2)
        items += page.items
        assert page.total == 3
        if not page.more:
            break
    assert titles(items) == ["100_item_8", *INTERVIEWS]
    assert all(a.collections == ("jh343s44s",) for a in items)
    assert items == [await adapter.get_asset(a.native_id) for a in items]
    past = await adapter.collection_items("jh343s44s", 3, 2)
    assert (past.items, past.more) == ([], False)


async def test_an_unknown_collection_is_not_found(adapter: AvalonAdapter) -> None:
    with pytest.raises(GatewayError) as info:
        await adapter.get_collection("zz999999z")
    assert info.value.http_status == 404
    with pytest.raises(GatewayError) as info:
        await adapter.collection_items("zz999999z", 0, 5)
    assert info.value.http_status == 404


def test_the_kind_documents_its_search() -> None:
    assert AvalonAdapter.offers_collections
    assert "title" in AvalonAdapter.search_method
