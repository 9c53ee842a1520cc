"""The MediaCentral simulator's CTMS registry, spoken to over HTTP."""

from __future__ import annotations

import aiohttp
import pytest

from adapters.mediacentral.simulator import MediaCentralSimulator, SimSystem
from tests.support.mediacentral.direct import (
    AVID_PROBLEM,
    REGISTRY,
    get,
    login,
    service,
    serviceroots,
)
from tests.support.mediacentral.fixtures import ARCHIVE as AM
from tests.support.mediacentral.fixtures import SimFactory

SERVED = ("aa:asset-by-id", "loc:item-by-id", "search:simple-search", "aa:update-asset-by-id")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/ctms-registry/v1", id="v1"),
        pytest.param(REGISTRY + "/serviceroots", id="legacy"),
        pytest.param("/apis/avid.ctms.registry;version=0/serviceroots", id="legacy-short"),
    ],
)
async def test_every_entry_point_lists_each_service_with_its_system(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession, path: str
) -> None:
    await login(http, simulator)
    roots = await get(http, simulator.url + path)
    [system] = roots["systems"]
    assert set(system) == {"systemType", "systemID", "name", "systemTypeName", "version", "host"}
    assert (system["systemType"], system["name"]) == ("interplay-pam", "Newsroom")
    ours = [{"systemType": "interplay-pam", "systemID": system["systemID"]}]
    # Services live under their system's realm, the systemID (a_ctms_session_registry.html).
    prefix = f"{simulator.url}/apis/avid.pam;version=1;realm={system['systemID']}/"
    for rel in SERVED:
        [entry] = roots["resources"][rel]
        assert entry["href"].startswith(prefix)
        assert entry["templated"] is True
        assert entry["systems"] == ours
    [root] = roots["resources"]["loc:root-item"]
    assert (root["href"], root["templated"]) == (prefix + "locations/folders", False)
    assert service(roots, "search:simple-search") == (
        prefix + "searches/simple?search={search}{&offset,limit,sort}"
    )
    curies = {c["name"] for c in roots["_links"]["curies"]}
    assert {"registry", "aa", "loc", "search"} <= curies


async def test_the_legacy_root_links_the_service_roots_as_a_template_that_filters(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    root = await get(http, simulator.url + REGISTRY)
    link = root["_links"]["registry:serviceroots"]
    assert link == {"href": simulator.url + REGISTRY + "/serviceroots{?rels}", "templated": True}
    everything = await serviceroots(http, simulator)
    assert {"loc:root-item", "aa:asset-by-id", "search:simple-search"} <= set(
        everything["resources"]
    )
    some = await get(
        http, simulator.url + REGISTRY + "/serviceroots?rels=aa:asset-by-id,loc:root-item"
    )
    assert set(some["resources"]) == {"aa:asset-by-id", "loc:root-item"}


async def test_an_older_platform_has_no_v1_registry(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await simulators(registry="legacy")
    await login(http, sim)
    async with http.get(sim.url + "/ctms-registry/v1") as response:
        assert response.status == 404
    assert (await serviceroots(http, sim))["resources"]


async def test_a_platform_with_two_systems_lists_one_entry_per_system_for_each_relation(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await simulators(systems=(SimSystem(), AM))
    await login(http, sim)
    roots = await get(http, sim.url + "/ctms-registry/v1")
    assert [(s["systemType"], s["name"]) for s in roots["systems"]] == [
        ("interplay-pam", "Newsroom"),
        ("interplay-mam", "Archive"),
    ]
    for rel in ("loc:root-item", *SERVED):
        pam, mam = roots["resources"][rel]
        assert pam["systems"] == [
            {"systemType": "interplay-pam", "systemID": SimSystem().system_id}
        ]
        assert mam["systems"] == [{"systemType": "interplay-mam", "systemID": AM.system_id}]
        assert f"/apis/avid.mam.assets.access;version=1;realm={AM.system_id}/" in mam["href"]
    # Each system has a tree of its own, named after it.
    am_root = await get(http, service(roots, "loc:root-item", AM.system_id))
    assert (am_root["common"]["name"], am_root["base"]["systemID"]) == ("Archive", AM.system_id)
    pam_root = await get(http, service(roots, "loc:root-item", SimSystem().system_id))
    assert pam_root["common"]["name"] == "Newsroom"


async def test_a_refused_registry_answers_the_platform_gateways_401(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await simulators(refuse_registry=True)
    await login(http, sim)
    for path in (REGISTRY, "/ctms-registry/v1"):
        async with http.get(sim.url + path) as response:
            assert response.status == 401
            assert (await response.json())["code"] == "avid.upstream/UNAUTHENTICATED"


async def test_injected_failures_use_the_platform_problem_shape(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await simulators(fail_status=503)
    async with http.get(sim.url + "/auth") as response:
        assert response.status == 503
        assert response.content_type == AVID_PROBLEM
        assert (await response.json())["code"] == "avid.upstream/FAILURE"
