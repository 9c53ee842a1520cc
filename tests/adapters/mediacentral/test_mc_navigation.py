"""A HAL client walks a MediaCentral backend through the gateway, with each login flow.

Tests start at ``GET /`` and follow relations only; no URL is built by hand.
"""

from __future__ import annotations

from typing import Any

import pytest
from yarl import URL

from adapters.mediacentral.simulator import MediaCentralSimulator, SimSystem
from tests.support.mediacentral.fixtures import (
    BACKEND,
    CLIENT_ID,
    FLOWS,
    USER,
    Connect,
    SimFactory,
)
from tests.support.mediacentral.navigator import HAL, Doc, Navigator

HARBOUR_FIRE = [
    "Harbour fire - aerial",
    "Harbour fire - fire chief interview",
    "Harbour fire - morning after",
    "Harbour fire - wide shot",
    "Harbour fire 1998 - archive footage",
]
EVENING = [
    "Evening bulletin 14 May",
    "Harbour fire - wide shot",
    "Harbour fire - fire chief interview",
    "Harbour fire - aerial",
    "Council vote - exterior",
    "Council vote - mayor statement",
    "Weather - satellite loop",
]
PRINCIPALS = {"mcux": USER, "oauth2-password": USER, "oauth2-client-credentials": CLIENT_ID}


def names(items: list[Doc]) -> list[str]:
    return [item["common"]["name"] for item in items]


@pytest.mark.parametrize("flow", [pytest.param(flow, id=flow) for flow in FLOWS])
async def test_a_client_browses_folders_opens_an_asset_and_pages_a_search(
    simulator: MediaCentralSimulator, connect: Connect, flow: str
) -> None:
    nav = Navigator(await connect(simulator, flow))
    backend = await nav.backend(BACKEND)
    assert backend["kind"] == "mediacentral"

    root = await nav.get(nav.href(backend, "mc:locations"))
    assert names(nav.children(root)) == ["News", "Sports", "Archive"]
    news = await nav.get(nav.href(nav.child(root, "News"), "self"))
    assert names(nav.children(news)) == ["Evening Bulletin", "Morning Show"]
    evening = await nav.get(nav.href(nav.child(news, "Evening Bulletin"), "self"))
    assert names(nav.children(evening)) == EVENING

    # The same folder by its id, a path, through the backend root's template, three a page:
    # the folder's collection pages on, each next page a collection of its own.
    evening_id = evening["base"]["id"]
    assert evening_id == "/News/Evening Bulletin/"
    first = await nav.get(nav.href(backend, "mc:item", id=evening_id, limit=3))
    assert first["base"]["id"] == evening_id
    page = nav.collection(first)
    assert page["paging"] == {"offset": 0, "limit": 3, "elements": 3}
    assert names(await nav.pages(page, "loc:item")) == EVENING

    entry = nav.child(evening, "Harbour fire - wide shot")
    assert entry["base"]["type"] == "folder-item"
    asset = await nav.get(nav.href(entry, "loc:referenced-object"))
    assert asset["base"] == {
        "id": simulator.platform.assets[asset["base"]["id"]].id,
        "type": "masterclip",
        "systemID": SimSystem().system_id,
        "systemType": "interplay-pam",
    }
    assert asset["base"]["id"] != entry["base"]["id"]
    assert asset["common"]["name"] == "Harbour fire - wide shot"
    assert asset["common"]["duration"] == "00:01:12:08"
    assert {"created", "modified"} <= set(asset["common"])
    same = await nav.get(nav.href(backend, "mc:asset", id=asset["base"]["id"]))
    assert same == asset
    thumb = await nav.get(nav.href(asset, "aa:thumb"))
    response, image = await nav.request("GET", thumb["thumbnail"])
    assert response.status == 200
    assert response.content_type == "image/png"
    assert image.startswith(b"\x89PNG\r\n\x1a\n")

    hits = await nav.get(nav.href(backend, "mc:search", search="harbour fire", limit=2))
    assert len(nav.embedded(hits, "aa:asset")) == 2
    found = await nav.pages(hits, "aa:asset")
    assert sorted(names(found)) == HARBOUR_FIRE
    opened = await nav.get(nav.href(found[-1], "self"))
    assert opened["common"]["name"] == names(found)[-1]

    assert nav.leaks(simulator.url) == []
    assert simulator.counters.logins == 1
    [session] = simulator.platform.live_sessions()
    assert (session.kind, session.principal) == (
        "mcux" if flow == "mcux" else "oauth",
        PRINCIPALS[flow],
    )


async def test_a_folder_with_one_child_on_a_page_is_passed_on_as_the_platform_sends_it(
    simulator: MediaCentralSimulator, connect: Connect
) -> None:
    nav = Navigator(await connect(simulator))
    backend = await nav.backend(BACKEND)
    last = await nav.get(nav.href(backend, "mc:item", id="/News/Evening Bulletin/", offset=6))
    alone = nav.collection(last)["_embedded"]["loc:item"]
    assert isinstance(alone, dict)
    assert alone["common"]["name"] == EVENING[-1]
    assert nav.href(alone, "self").startswith(nav.href(backend, "self") + "/items/")


async def test_the_backend_root_links_each_service_by_its_mc_and_ctms_names(
    simulator: MediaCentralSimulator, connect: Connect
) -> None:
    nav = Navigator(await connect(simulator))
    backend = await nav.backend(BACKEND)
    pairs = [
        ("mc:locations", "loc:root-item", False),
        ("mc:item", "loc:item-by-id", True),
        ("mc:asset", "aa:asset-by-id", True),
        ("mc:search", "search:simple-search", True),
    ]
    for ours, ctms, templated in pairs:
        assert nav.link(backend, ours)["href"] == nav.link(backend, ctms)["href"]
        assert nav.link(backend, ours).get("templated", False) is templated
    assert nav.link(backend, "mc:search")["href"].endswith("/search{?search,offset,limit}")
    assert nav.link(backend, "mc:item")["href"].endswith("/items/{id}{?offset,limit}")

    # Every relation of the root is documented where its CURIE leads.
    curies = {c["name"]: c["href"] for c in backend["_links"]["curies"]}
    for rel in [rel for rel in backend["_links"] if ":" in rel]:
        prefix, name = rel.split(":", 1)
        page = await nav.get(curies[prefix].replace("{rel}", name))
        assert page["relation"] == rel


async def test_the_registry_lists_the_backend_services_at_its_gateway_paths(
    simulator: MediaCentralSimulator, connect: Connect
) -> None:
    nav = Navigator(await connect(simulator))
    root = await nav.get(nav.base + "/")
    registry = await nav.get(nav.href(root, "registry:serviceroots"))
    backend = await nav.backend(BACKEND)
    ours = [{"systemType": "mediacentral", "systemID": BACKEND}]
    for rel in ("aa:asset-by-id", "loc:root-item", "loc:item-by-id", "search:simple-search"):
        # The gateway's unified view may offer the same relation, at its own path.
        href = nav.link(backend, rel)["href"]
        [entry] = [e for e in registry["resources"][rel] if e["href"] == href]
        assert entry["systems"] == ours


async def test_upstream_curies_keep_their_documentation_on_the_developer_site(
    simulator: MediaCentralSimulator, connect: Connect
) -> None:
    nav = Navigator(await connect(simulator))
    backend = await nav.backend(BACKEND)
    root = await nav.get(nav.href(backend, "mc:locations"))
    curies = {c["name"]: c["href"] for c in root["_links"]["curies"]}
    assert curies == {
        "loc": "https://developer.avid.com/ctms/relations/loc/{rel}",
        "aa": "https://developer.avid.com/ctms/relations/aa/{rel}",
    }


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param("empty", id="platform-answers-204"),
        pytest.param("body", id="platform-answers-200-with-the-asset"),
    ],
)
async def test_an_asset_is_renamed_through_its_link_and_the_client_gets_200(
    simulators: SimFactory, connect: Connect, answer: str
) -> None:
    simulator = await simulators(update_answer=answer)
    nav = Navigator(await connect(simulator))
    backend = await nav.backend(BACKEND)
    hits = await nav.get(nav.href(backend, "mc:search", search="trophy"))
    [hit] = nav.embedded(hits, "aa:asset")
    href = nav.href(hit, "self")
    body = {"common": {"name": "Cup final - trophy lift (graded)"}}
    response, updated = await nav.request("PATCH", href, json=body, headers={"Accept": HAL})
    assert response.status == 200
    assert response.content_type == HAL
    assert updated["common"]["name"] == "Cup final - trophy lift (graded)"
    assert updated["_links"]["self"]["href"] == href
    assert (await nav.get(href))["common"]["name"] == "Cup final - trophy lift (graded)"
    assert simulator.platform.assets[hit["base"]["id"]].name == "Cup final - trophy lift (graded)"

    problem = await nav.problem("PATCH", href, 400, json={"common": {"duration": "00:00:01:00"}})
    assert problem["upstream_code"] == "avid.pam/CTMS/INVALID_PARAMETER"
    assert "parameter: common.duration" in problem["errors"]
    assert nav.leaks(simulator.url) == []


def _search(backend: Doc, **values: Any) -> str:
    return Navigator.href(backend, "mc:search", **values)


def _item(backend: Doc, **values: Any) -> str:
    return Navigator.href(backend, "mc:item", id="/News/", **values)


@pytest.mark.parametrize(
    ("href", "parameter"),
    [
        pytest.param(lambda b: _search(b, search="fire", limit="many"), "limit", id="limit-text"),
        pytest.param(lambda b: _search(b, search="fire", limit=0), "limit", id="limit-zero"),
        pytest.param(lambda b: _search(b, search="fire", offset=-5), "offset", id="offset-neg"),
        pytest.param(lambda b: _search(b, search="fire") + "&sort=length", "sort", id="sort"),
        pytest.param(lambda b: _search(b), "search", id="no-search"),
        pytest.param(lambda b: _item(b, limit=500), "limit", id="item-limit-too-big"),
    ],
)
async def test_bad_parameters_answer_400_with_the_platform_code(
    simulator: MediaCentralSimulator, connect: Connect, href: Any, parameter: str
) -> None:
    nav = Navigator(await connect(simulator))
    backend = await nav.backend(BACKEND)
    problem = await nav.problem("GET", href(backend), 400)
    assert problem["code"] == "upstream-status"
    assert problem["upstream_code"] == "avid.pam/CTMS/INVALID_PARAMETER"
    assert problem["upstream_status"] == 400
    assert problem["backend"] == BACKEND
    assert f"parameter: {parameter}" in problem["errors"]
    assert nav.leaks(simulator.url) == []


async def test_an_unknown_id_is_a_404_with_the_platform_code_and_no_new_discovery(
    simulator: MediaCentralSimulator, connect: Connect
) -> None:
    nav = Navigator(await connect(simulator))
    backend = await nav.backend(BACKEND)
    reads = simulator.counters.registry_reads
    problem = await nav.problem("GET", nav.href(backend, "mc:asset", id="no-such-asset"), 404)
    assert problem["upstream_code"] == "avid.pam/CTMS/NOT_FOUND"
    assert simulator.counters.registry_reads == reads


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("/auth/tokens/current", id="auth"),
        pytest.param(
            f"/apis/avid.pam;version=1;realm={SimSystem().system_id}/../../auth/logout",
            id="dot-segments",
        ),
        pytest.param("/ctms-registry/v1", id="outside-the-services"),
    ],
)
async def test_the_passage_reaches_nothing_outside_the_discovered_services(
    simulator: MediaCentralSimulator, connect: Connect, tail: str
) -> None:
    nav = Navigator(await connect(simulator))
    backend = await nav.backend(BACKEND)
    href = nav.href(backend, "self") + "/proxy" + tail
    # Sent as is: a client library would resolve the dot segments before sending.
    response, _ = await nav.request("GET", URL(href, encoded=True), headers={"Accept": HAL})
    assert response.status == 404
    assert simulator.counters.logouts == 0
    assert len(simulator.platform.live_sessions()) == 1
