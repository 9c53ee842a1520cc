"""The MediaCentral simulator's folder tree, as Avid's pages and sample clients read it."""

from __future__ import annotations

import aiohttp
import pytest

from adapters.mediacentral.simulator import MediaCentralSimulator
from gateway.web import hal
from tests.support.mediacentral.direct import get, items, login, service, serviceroots
from tests.support.mediacentral.fixtures import SimFactory
from tests.support.navigator import Doc

EVENING = "/News/Evening Bulletin/"


async def _item(
    http: aiohttp.ClientSession, sim: MediaCentralSimulator, item_id: str, query: str = ""
) -> Doc:
    template = service(await serviceroots(http, sim), "loc:item-by-id")
    return await get(http, hal.expand(template, id=item_id) + query)


async def test_a_folder_embeds_a_collection_that_pages_on_its_own(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    folder = await _item(http, simulator, EVENING, "?limit=3")
    # A folder is an item that links loc:collection (folder_structure.html), its id a path.
    assert folder["base"]["id"] == EVENING
    assert folder["base"]["type"] == "folder"
    assert "loc:collection" in folder["_links"]
    assert "paging" not in folder
    assert "loc:item" not in folder["_embedded"]
    page = folder["_embedded"]["loc:collection"]
    # totalElements only when insisted on (rs_paginginformation.html).
    assert page["paging"] == {"offset": 0, "limit": 3, "elements": 3}
    seen = items(page, "loc:item")
    assert len(page["_links"]["loc:item"]) == 3
    while "next" in page["_links"]:
        page = await get(http, page["_links"]["next"]["href"])
        assert "loc:collection" not in page.get("_embedded", {})  # the next page IS one
        seen += items(page, "loc:item")
    assert page["paging"] == {"offset": 6, "limit": 3, "elements": 1}
    assert [i["base"]["type"] for i in seen] == ["folder-item"] * 7
    assert len({i["base"]["id"] for i in seen}) == 7
    counted = await _item(http, simulator, EVENING, "?limit=3&insist=totalElements")
    assert counted["_embedded"]["loc:collection"]["paging"]["totalElements"] == 7


@pytest.mark.parametrize(
    ("options", "alone"),
    [
        pytest.param({}, dict, id="object-by-default"),
        pytest.param({"single_item": "array"}, list, id="array-as-an-option"),
    ],
)
async def test_a_page_of_one_item_embeds_it_as_an_object(
    simulators: SimFactory, http: aiohttp.ClientSession, options: dict[str, str], alone: type
) -> None:
    sim = await simulators(**options)
    await login(http, sim)
    folder = await _item(http, sim, EVENING, "?offset=6&limit=3")
    page = folder["_embedded"]["loc:collection"]
    assert page["paging"]["elements"] == 1
    assert isinstance(page["_embedded"]["loc:item"], alone)


async def test_folder_items_reference_their_asset_and_embed_it_when_asked(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    plain = (await _item(http, simulator, EVENING))["_embedded"]["loc:collection"]
    entry = items(plain, "loc:item")[1]
    asset_id = next(
        a.id for a in simulator.platform.assets.values() if a.name == entry["common"]["name"]
    )
    assert entry["base"]["id"] != asset_id  # an id of its own
    assert entry["_links"]["loc:referenced-object"]["href"].endswith("/assets/" + asset_id)
    assert "_embedded" not in entry  # PM embeds the asset only when asked
    embedded = (await _item(http, simulator, EVENING, "?embed=asset"))["_embedded"][
        "loc:collection"
    ]
    asset = items(embedded, "loc:item")[1]["_embedded"]["loc:referenced-object"]
    assert asset["base"]["id"] == asset_id
    assert asset["base"]["type"] == "masterclip"
    # Read by itself, the item embeds its asset unasked.
    alone = await get(http, entry["_links"]["self"]["href"])
    assert alone["_embedded"]["loc:referenced-object"]["base"]["id"] == asset_id


async def test_the_root_is_an_untemplated_link_and_a_path_id(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    roots = await serviceroots(http, simulator)
    root = await get(http, service(roots, "loc:root-item"))
    assert (root["base"]["id"], root["common"]["name"]) == ("/", "Newsroom")
    children = items(root["_embedded"]["loc:collection"], "loc:item")
    assert [c["base"]["id"] for c in children] == ["/News/", "/Sports/", "/Archive/"]
    news = await get(http, children[0]["_links"]["self"]["href"])
    assert "%2FNews%2F" in children[0]["_links"]["self"]["href"]
    assert news["common"]["name"] == "News"
    assert root["_embedded"]["loc:collection"]["paging"]["limit"] == 100  # root-item.html


async def test_unknown_ids_and_asset_ids_are_no_location_items(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    template = service(await serviceroots(http, simulator), "loc:item-by-id")
    for item_id in ("/Nowhere/", next(iter(simulator.platform.assets))):
        async with http.get(hal.expand(template, id=item_id)) as response:
            assert response.status == 404
            assert (await response.json())["code"] == "avid.pam/CTMS/NOT_FOUND"
