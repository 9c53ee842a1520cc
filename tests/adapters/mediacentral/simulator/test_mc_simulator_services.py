"""The MediaCentral simulator's registry, folders, assets and search, spoken to over HTTP."""

from __future__ import annotations

import aiohttp
import pytest

from adapters.mediacentral.simulator import MediaCentralSimulator
from tests.support.mediacentral.direct import AVID_PROBLEM, REGISTRY, get, login
from tests.support.mediacentral.fixtures import SimFactory
from tests.support.navigator import Doc


async def serviceroots(http: aiohttp.ClientSession, sim: MediaCentralSimulator) -> Doc:
    root = await get(http, sim.url + REGISTRY)
    return await get(http, root["_links"]["registry:serviceroots"]["href"])


def service(roots: Doc, rel: str) -> str:
    [entry] = roots["resources"][rel]
    href: str = entry["href"]
    return href


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(REGISTRY + "/serviceroots", id="legacy"),
        pytest.param("/apis/avid.ctms.registry;version=0/serviceroots", id="legacy-short"),
        pytest.param("/ctms-registry/v1/serviceroots", id="v1"),
    ],
)
async def test_the_registry_advertises_service_templates_on_its_own_host(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession, path: str
) -> None:
    await login(http, simulator)
    roots = await get(http, simulator.url + path)
    assert roots["systems"][0]["systemID"] == "newsroom-pam"
    for rel in ("aa:asset-by-id", "loc:root-item", "loc:item-by-id", "search:simple-search"):
        [entry] = roots["resources"][rel]
        assert entry["href"].startswith(simulator.url + "/apis/")
        assert entry["templated"] is True
        assert entry["systems"] == [{"systemType": "interplay-pam", "systemID": "newsroom-pam"}]
    assert service(roots, "search:simple-search").endswith(
        "/searches/simple?search={search}{&offset,limit,sort}"
    )
    curies = {c["name"] for c in roots["_links"]["curies"]}
    assert {"registry", "aa", "loc", "search"} <= curies
    assert all("developer.avid.com" in c["href"] for c in roots["_links"]["curies"])


async def test_a_newer_platform_has_only_the_v1_registry(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await simulators(legacy_registry=False)
    await login(http, sim)
    async with http.get(sim.url + REGISTRY) as response:
        assert response.status == 404
    root = await get(http, sim.url + "/ctms-registry/v1")
    assert (await get(http, root["_links"]["registry:serviceroots"]["href"]))["resources"]


async def test_folders_embed_their_children_a_page_at_a_time(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    roots = await serviceroots(http, simulator)
    root = await get(http, service(roots, "loc:root-item").split("{")[0])
    assert root["base"]["type"] == "folder"
    news_href = root["_embedded"]["loc:item"][0]["_links"]["self"]["href"]
    news = await get(http, news_href)
    assert news["path"] == "/Newsroom/News"
    evening = await get(http, news["_embedded"]["loc:item"][0]["_links"]["self"]["href"])
    page = await get(http, evening["_links"]["self"]["href"] + "?limit=3")
    seen = [i["common"]["name"] for i in page["_embedded"]["loc:item"]]
    while "next" in page["_links"]:
        page = await get(http, page["_links"]["next"]["href"])
        seen += [i["common"]["name"] for i in page["_embedded"]["loc:item"]]
    assert seen == [i["common"]["name"] for i in evening["_embedded"]["loc:item"]]
    assert page["paging"] == {"offset": 6, "limit": 3, "elements": 1, "totalElements": 7}
    clip = evening["_embedded"]["loc:item"][1]
    assert "aa:asset" in clip["_links"]


async def test_assets_have_base_and_common_attributes_and_a_thumbnail(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    template = service(await serviceroots(http, simulator), "aa:asset-by-id")
    asset_id = next(iter(simulator.platform.assets))
    asset = await get(http, template.replace("{id}", asset_id))
    assert set(asset["base"]) == {"id", "type", "systemID", "systemType"}
    assert set(asset["common"]) == {"name", "duration", "created", "modified"}
    async with http.get(asset["_links"]["aa:thumbnail"]["href"]) as response:
        assert response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG")
    renamed = {"common": {"name": "Renamed"}}
    async with http.patch(asset["_links"]["self"]["href"], json=renamed) as response:
        assert response.status == 200
        updated = await response.json()
    assert updated["common"]["name"] == "Renamed"
    assert updated["common"]["modified"] != asset["common"]["modified"]


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
    names = [a["common"]["name"] for a in page["_embedded"]["aa:asset"]]
    while "next" in page["_links"]:
        page = await get(http, page["_links"]["next"]["href"])
        names += [a["common"]["name"] for a in page["_embedded"]["aa:asset"]]
    assert names == ["Cup final highlights", "Cup final - trophy lift", "Cup final - first goal"]


async def test_relocated_services_answer_bare_404_at_their_old_hrefs(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    old = service(await serviceroots(http, simulator), "aa:asset-by-id")
    asset_id = next(iter(simulator.platform.assets))
    simulator.relocate_services()
    async with http.get(old.replace("{id}", asset_id)) as response:
        assert response.status == 404
        assert response.content_type == "text/plain"
    new = service(await serviceroots(http, simulator), "aa:asset-by-id")
    assert new != old
    assert (await get(http, new.replace("{id}", asset_id)))["base"]["id"] == asset_id
    async with http.get(new.replace("{id}", "missing")) as response:
        assert response.status == 404
        assert (await response.json())["code"] == "avid.pam/CTMS/NOT_FOUND"


async def test_injected_failures_use_the_platform_problem_shape(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await simulators(fail_status=503)
    async with http.get(sim.url + "/auth") as response:
        assert response.status == 503
        assert response.content_type == AVID_PROBLEM
        assert (await response.json())["code"] == "avid.upstream/FAILURE"
