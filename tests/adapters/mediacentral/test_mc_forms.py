"""MediaCentral's rename as a HAL-FORMS template, proven by a write built from it alone."""

from __future__ import annotations

from adapters.mediacentral.simulator import MediaCentralSimulator
from tests.support.forms import properties, submit, template
from tests.support.mediacentral.fixtures import BACKEND, Connect
from tests.support.mediacentral.navigator import Navigator


async def test_an_asset_is_renamed_from_its_template(
    simulator: MediaCentralSimulator, connect: Connect
) -> None:
    nav = Navigator(await connect(simulator))
    backend = await nav.backend(BACKEND)
    hits = await nav.get(nav.href(backend, "mc:search", search="trophy"))
    [hit] = nav.embedded(hits, "aa:asset")
    rename, asset = await template(nav, nav.href(hit, "self"))
    assert (rename["method"], rename["target"]) == ("PATCH", asset["_links"]["self"]["href"])
    assert rename["contentType"] == "application/json"
    name = properties(rename)["name"]
    assert name["value"] == asset["common"]["name"]  # prefilled with the current name

    response, renamed = await submit(nav, rename, {"name": "Cup final - trophy lift (v2)"})
    assert response.status == 200, renamed
    assert renamed["common"]["name"] == "Cup final - trophy lift (v2)"
    assert simulator.platform.assets[hit["base"]["id"]].name == "Cup final - trophy lift (v2)"

    response, problem = await nav.request("PATCH", rename["target"], json={"name": ["x"]})
    assert response.status == 400
    assert problem["invalid_params"] == [{"name": "name", "reason": "name must be a string"}]
