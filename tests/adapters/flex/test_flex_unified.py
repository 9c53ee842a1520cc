"""Flex in the unified view: the adapter's asset and collection lists over real sockets.

The adapter's methods are called the way the core calls them, inside a request's
identity, against a gateway whose Flex backend talks to the simulator.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from adapters.flex import unified
from adapters.flex.adapter import FlexAdapter
from adapters.flex.simulator import MEDIA_TYPE, FlexSimulator
from gateway.auth.identity import Identity, acting_as
from gateway.backends.runtime import BACKENDS
from gateway.spi import ASSET_TYPES, AssetQuery, UnifiedAsset, UnifiedCollection
from gateway.web.errors import GatewayError
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.unified_paging import every_asset

USER, PASSWORD = "archivist", "flex-archive-password"
ADMIN = Identity("admin", "user", frozenset({"admin"}))
CLIPS = 30
"""Enough clips for ids of two and three digits, which sort apart as text and as numbers."""
NEWS = "Evening News 2024-01-29"
INTERVIEWS = ["Interview raw footage", "Studio interview, election night"]


@pytest.fixture
async def simulator(start_simulator: StartSimulator[FlexSimulator]) -> FlexSimulator:
    return await start_simulator(FlexSimulator(users={USER: PASSWORD}, extra_assets=CLIPS))


@pytest.fixture
async def client(
    simulator: FlexSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    config = make_config(
        backends={
            "mam": {"kind": "flex", "url": simulator.url, "username": USER, "password": PASSWORD}
        }
    )
    return await gateway(config)


@pytest.fixture
def adapter(client: TestClient[Any, Any]) -> Iterator[FlexAdapter]:
    """The ``mam`` adapter, with a request's identity bound as the core has it."""
    backend = client.app[BACKENDS].get("mam")
    assert backend is not None
    assert isinstance(backend.adapter, FlexAdapter)
    with acting_as(ADMIN):
        yield backend.adapter


def titles(assets: list[UnifiedAsset]) -> list[str]:
    return [a.title for a in assets]


async def named(adapter: FlexAdapter, title: str) -> UnifiedAsset:
    page = await adapter.list_assets(AssetQuery(text=title))
    return next(a for a in page.items if a.title == title)


# --- listing ----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 7])
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param(None, None, id="everything"),
        pytest.param("interview", None, id="text"),
        pytest.param(None, "video", id="type"),
        pytest.param("e", "video", id="both"),
    ],
)
async def test_small_pages_list_every_match_once_in_one_order(
    adapter: FlexAdapter, limit: int, text: str | None, kind: str | None
) -> None:
    query = AssetQuery(text=text, type=kind, limit=limit)
    everything = await adapter.list_assets(dataclasses.replace(query, limit=100))
    assert not everything.more
    paged = await every_asset(adapter, query)
    assert paged == everything.items
    assert len({a.native_id for a in paged}) == len(paged) == everything.total
    assert await every_asset(adapter, query) == paged  # the same again


async def test_everything_is_listed_by_title(adapter: FlexAdapter) -> None:
    page = await adapter.list_assets(AssetQuery(limit=100))
    listed = titles(page.items)
    assert listed == sorted(listed, key=str.casefold)
    assert (page.more, page.total) == (False, 7 + CLIPS)
    assert "Press release" not in listed  # Flex leaves deleted assets out of lists


async def rename(simulator: FlexSimulator, asset_id: str, name: str) -> None:
    """Rename an asset in Flex itself, behind the gateway's back."""
    url = f"{simulator.url}/api/assets/{asset_id}"
    headers = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}
    headers["Content-Type"] = MEDIA_TYPE
    async with (
        aiohttp.ClientSession() as session,
        session.put(url, data=json.dumps({"name": name}), headers=headers) as response,
    ):
        assert response.status == 200


async def clips_named_alike(adapter: FlexAdapter, simulator: FlexSimulator) -> list[str]:
    """Rename every clip to "clip" in some case; their ids in Flex's own order."""
    clips = (await adapter.list_assets(AssetQuery(text="Clip 0", limit=100))).items
    assert len(clips) == CLIPS
    for number, clip in enumerate(clips):
        await rename(simulator, clip.native_id, ("Clip", "clip", "CLIP")[number % 3])
    ids = sorted((a.native_id for a in clips), key=int)  # Flex sorts ties by number
    assert ids != sorted(ids)  # "10" comes before "9" as text
    return ids


@pytest.mark.parametrize("limit", [1, 2, 5, 100])
async def test_assets_of_one_title_are_listed_by_id_as_text(
    adapter: FlexAdapter, simulator: FlexSimulator, limit: int
) -> None:
    ids = await clips_named_alike(adapter, simulator)
    listed = await every_asset(adapter, AssetQuery(limit=limit))
    assert [a.native_id for a in listed if a.title.casefold() == "clip"] == sorted(ids)
    assert [(a.title.casefold(), a.native_id) for a in listed] == sorted(
        (a.title.casefold(), a.native_id) for a in listed
    )
    assert len(listed) == 7 + CLIPS


@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_a_run_of_one_title_too_long_to_sort_keeps_flexs_order(
    adapter: FlexAdapter,
    simulator: FlexSimulator,
    monkeypatch: pytest.MonkeyPatch,
    limit: int,
) -> None:
    ids = await clips_named_alike(adapter, simulator)
    monkeypatch.setattr(unified, "RUN_LIMIT", CLIPS - 1)
    listed = await every_asset(adapter, AssetQuery(limit=limit))
    assert [a.native_id for a in listed if a.title.casefold() == "clip"] == ids
    assert len({a.native_id for a in listed}) == len(listed) == 7 + CLIPS


@pytest.mark.parametrize("text", ["interview", "INTERVIEW", " Interview "])
async def test_text_matches_names_whatever_the_case(adapter: FlexAdapter, text: str) -> None:
    page = await adapter.list_assets(AssetQuery(text=text))
    assert titles(page.items) == INTERVIEWS
    assert (page.more, page.total) == (False, 2)


async def test_text_that_matches_nothing_lists_nothing(adapter: FlexAdapter) -> None:
    page = await adapter.list_assets(AssetQuery(text="no such name anywhere"))
    assert (page.items, page.more, page.total) == ([], False, 0)


async def test_types_split_the_list_in_its_order(adapter: FlexAdapter) -> None:
    everything = await every_asset(adapter, AssetQuery(limit=100))
    by_type = {
        kind: await every_asset(adapter, AssetQuery(type=kind, limit=4)) for kind in ASSET_TYPES
    }
    assert titles(by_type["group"]) == ["Morning Show package"]
    assert titles(by_type["audio"]) == ["Archive reel 1968"]
    assert titles(by_type["image"]) == ["Weather map"]
    assert by_type["other"] == []  # the one document is deleted
    assert len(by_type["video"]) == CLIPS + 4
    for kind, assets in by_type.items():
        assert assets == [a for a in everything if a.type == kind]


async def test_text_and_type_together(adapter: FlexAdapter) -> None:
    video = await adapter.list_assets(AssetQuery(text="interview", type="video"))
    assert titles(video.items) == INTERVIEWS
    image = await adapter.list_assets(AssetQuery(text="interview", type="image"))
    assert (image.items, image.more, image.total) == ([], False, 0)


# --- one asset --------------------------------------------------------------------------


async def test_an_asset_is_what_the_list_shows(adapter: FlexAdapter) -> None:
    for listed in await every_asset(adapter, AssetQuery(limit=100)):
        assert await adapter.get_asset(listed.native_id) == listed


async def test_a_flex_asset_as_an_asset(adapter: FlexAdapter, client: TestClient[Any, Any]) -> None:
    news = await named(adapter, NEWS)
    assert (news.type, news.duration_ms) == ("video", 1_710_000)
    assert news.created is not None
    assert news.modified is not None
    assert news.created.startswith("2024-01-29T15:")
    assert news.created.endswith("+00:00")
    studio = await named(adapter, INTERVIEWS[1])
    assert studio.duration_ms == 465_000
    # The native href is the gateway's own route for the asset.
    assert news.native == f"/assets/{news.native_id}"
    response = await client.get(adapter.path + news.native)
    assert response.status == 200
    assert (await response.json())["name"] == NEWS


@pytest.mark.parametrize("native_id", ["999999", "weather", "1;id=2", "", "\u00b9"])
async def test_an_unknown_asset_is_not_found(adapter: FlexAdapter, native_id: str) -> None:
    with pytest.raises(GatewayError) as info:
        await adapter.get_asset(native_id)
    assert info.value.http_status == 404


# --- collections ------------------------------------------------------------------------


async def every_collection(adapter: FlexAdapter, limit: int) -> list[UnifiedCollection]:
    seen: list[UnifiedCollection] = []
    while True:
        page = await adapter.list_collections(len(seen), limit)
        seen += page.items
        assert page.total == 2
        if not page.more:
            return seen
        assert len(page.items) == limit


async def test_collections_page_by_name(adapter: FlexAdapter) -> None:
    for limit in (1, 2, 3):
        listed = await every_collection(adapter, limit)
        assert [c.title for c in listed] == ["Approved video", "Highlights"]
    for one in await every_collection(adapter, 5):
        assert await adapter.get_collection(one.native_id) == one
        assert one.native == f"/collections/{one.native_id}"
        assert one.created is not None
        assert one.created.endswith("+00:00")
    highlights = (await adapter.list_collections(1, 1)).items[0]
    assert highlights.description == "Best of"


@pytest.mark.parametrize("limit", [1, 2])
async def test_more_collections_than_it_sorts_keep_flexs_order(
    adapter: FlexAdapter, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setattr(unified, "SORTED_COLLECTIONS", 1)
    listed = await every_collection(adapter, limit)
    assert [c.title for c in listed] == ["Highlights", "Approved video"]  # as Flex lists them


async def items_of(adapter: FlexAdapter, collection_id: str, limit: int) -> list[UnifiedAsset]:
    seen: list[UnifiedAsset] = []
    while True:
        page = await adapter.collection_items(collection_id, len(seen), limit)
        seen += page.items
        if not page.more:
            return seen
        assert len(page.items) == limit


async def test_collection_items_page_through_as_assets(adapter: FlexAdapter) -> None:
    approved, highlights = (await adapter.list_collections(0, 2)).items
    page = await adapter.collection_items(highlights.native_id, 0, 1)
    assert (page.more, page.total) == (True, 2)
    items = await items_of(adapter, highlights.native_id, 1)
    assert titles(items) == [NEWS, "Weather map"]  # the collection's order, not by name
    assert items == [await adapter.get_asset(a.native_id) for a in items]
    # A dynamic collection holds what its query finds: approved video.
    assert titles(await items_of(adapter, approved.native_id, 1)) == [NEWS]


@pytest.mark.parametrize(
    "native_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"], ids=["no-uuid", "unknown"]
)
async def test_an_unknown_collection_is_not_found(adapter: FlexAdapter, native_id: str) -> None:
    with pytest.raises(GatewayError) as info:
        await adapter.get_collection(native_id)
    assert info.value.http_status == 404
    with pytest.raises(GatewayError) as info:
        await adapter.collection_items(native_id, 0, 5)
    assert info.value.http_status == 404


def test_the_kind_documents_its_search() -> None:
    assert FlexAdapter.offers_collections
    assert "name" in FlexAdapter.search_method
