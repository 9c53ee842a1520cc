"""The MediaCentral simulator's assets, their updates and the simple search, over HTTP."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from adapters.mediacentral.simulator import MediaCentralSimulator
from tests.support.mediacentral.direct import AVID_PROBLEM, get, items, login, service, serviceroots
from tests.support.mediacentral.fixtures import SimFactory


async def _asset_url(http: aiohttp.ClientSession, sim: MediaCentralSimulator, asset_id: str) -> str:
    return service(await serviceroots(http, sim), "aa:asset-by-id").replace("{id}", asset_id)


async def test_an_asset_links_its_thumb_and_the_folder_items_that_file_it(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    asset_id = next(iter(simulator.platform.assets))
    asset = await get(http, await _asset_url(http, simulator, asset_id))
    assert set(asset["base"]) == {"id", "type", "systemID", "systemType"}
    assert set(asset["common"]) == {"name", "duration", "created", "modified"}
    # asset.html: aa:thumb and loc:referencing-items, no aa:thumbnail nor loc:parent.
    assert {"aa:thumbnail", "loc:parent"}.isdisjoint(asset["_links"])
    thumb = await get(http, asset["_links"]["aa:thumb"]["href"])
    async with http.get(thumb["thumbnail"]) as response:
        assert response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG")
    referencing = await get(http, asset["_links"]["loc:referencing-items"]["href"])
    [entry] = items(referencing, "loc:item")
    assert entry["base"]["type"] == "folder-item"
    assert entry["_links"]["loc:referenced-object"]["href"] == asset["_links"]["self"]["href"]


@pytest.mark.parametrize(
    ("options", "status"),
    [
        pytest.param({}, 204, id="no-content-by-default"),
        pytest.param({"update_answer": "body"}, 200, id="the-asset-as-an-option"),
    ],
)
async def test_an_update_takes_the_documented_body_and_answers_204(
    simulators: SimFactory, http: aiohttp.ClientSession, options: dict[str, Any], status: int
) -> None:
    sim = await simulators(**options)
    await login(http, sim)
    asset_id = next(iter(sim.platform.assets))
    url = await _asset_url(http, sim, asset_id)
    before = await get(http, url)
    # As update-asset-by-id.html shows it: base along, custom attributes embedded.
    body = {
        "base": before["base"],
        "common": {"name": "Renamed"},
        "_embedded": {"aa:attributes": {"attributes": []}},
    }
    async with http.patch(url, json=body) as response:
        assert response.status == status
        answer = await response.read()
    assert (answer == b"") is (status == 204)
    after = await get(http, url)
    assert after["common"]["name"] == "Renamed"
    assert after["common"]["modified"] != before["common"]["modified"]


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        pytest.param({"base": {"id": "another"}, "common": {"name": "x"}}, "base.id", id="base"),
        pytest.param({"common": {"duration": "00:00:01:00"}}, "common.duration", id="read-only"),
        pytest.param({"common": {"name": " "}}, "common.name", id="blank-name"),
        pytest.param({"status": {}}, "status", id="group"),
    ],
)
async def test_an_update_the_platform_refuses_names_the_attribute(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession, body: Any, parameter: str
) -> None:
    await login(http, simulator)
    url = await _asset_url(http, simulator, next(iter(simulator.platform.assets)))
    async with http.patch(url, json=body) as response:
        assert response.status == 400
        assert (await response.json())["params"]["parameterName"] == parameter


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        pytest.param("search=fire&limit=x", "limit", id="limit"),
        pytest.param("search=fire&offset=-1", "offset", id="offset"),
        pytest.param("search=fire&sort=size", "sort", id="sort"),
        pytest.param("limit=2", "search", id="search"),
    ],
)
async def test_bad_search_parameters_answer_avid_problems(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession, query: str, parameter: str
) -> None:
    await login(http, simulator)
    template = service(await serviceroots(http, simulator), "search:simple-search")
    async with http.get(template.split("?")[0] + "?" + query) as response:
        assert response.status == 400
        assert response.content_type == AVID_PROBLEM
        problem = await response.json()
    assert problem["code"] == "avid.pam/CTMS/INVALID_PARAMETER"
    assert problem["params"]["parameterName"] == parameter
    assert problem["status"] == 400


async def test_search_pages_through_matches_with_next_links(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    template = service(await serviceroots(http, simulator), "search:simple-search")
    url = template.split("?")[0] + "?search=Cup%20FINAL&limit=1&sort=-name"
    page = await get(http, url)
    assert "totalElements" not in page["paging"]
    names = [a["common"]["name"] for a in page["_embedded"]["aa:asset"]]
    while "next" in page["_links"]:
        page = await get(http, page["_links"]["next"]["href"])
        names += [a["common"]["name"] for a in page["_embedded"]["aa:asset"]]
    assert names == ["Cup final highlights", "Cup final - trophy lift", "Cup final - first goal"]
    counted = await get(http, url + "&insist=totalElements")
    assert counted["paging"]["totalElements"] == 3
    # No hit: no _embedded at all (SimpleSearch.java "No results found").
    nothing = await get(http, template.split("?")[0] + "?search=nothing-like-this")
    assert "_embedded" not in nothing


async def test_relocated_services_answer_bare_404_at_their_old_hrefs(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    asset_id = next(iter(simulator.platform.assets))
    old = await _asset_url(http, simulator, asset_id)
    simulator.relocate_services()
    async with http.get(old) as response:
        assert response.status == 404
        assert response.content_type == "text/plain"
    new = await _asset_url(http, simulator, asset_id)
    assert new != old
    assert (await get(http, new))["base"]["id"] == asset_id
    async with http.get(new.replace(asset_id, "missing")) as response:
        assert response.status == 404
        assert (await response.json())["code"] == "avid.pam/CTMS/NOT_FOUND"
