"""A platform with several CTMS systems: the backend uses the one its config names."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.mediacentral.discovery import parse_serviceroots
from adapters.mediacentral.simulator import SimSystem
from adapters.mediacentral.systems import SystemChoice
from gateway.web.errors import ConfigError, UpstreamUnavailable
from tests.support.fixtures import ConfigFactory
from tests.support.mediacentral.fixtures import ARCHIVE, BACKEND, NEWSROOM, Connect, SimFactory
from tests.support.mediacentral.navigator import Navigator

UP = "http://mc.internal"
TWO_PAM = SimSystem(system_id="0C5E7A3B-2F41-4D6A-8B90-7E1D3C5A9F20", name="Sport PM")
"""A second Production Management system: the type alone chooses none."""


def realm(system: SimSystem) -> str:
    return f";realm={system.system_id}/"


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param({"system_id": ARCHIVE.system_id}, id="by-id"),
        pytest.param({"system_id": ARCHIVE.system_id.lower()}, id="by-id-any-case"),
        pytest.param({"system_type": "interplay-mam"}, id="by-type"),
        pytest.param(
            {"system_type": "interplay-mam", "system_id": ARCHIVE.system_id}, id="by-both"
        ),
    ],
)
async def test_the_named_system_serves_every_relation(
    simulators: SimFactory, connect: Connect, keys: dict[str, str]
) -> None:
    sim = await simulators(systems=(NEWSROOM, ARCHIVE))
    client = await connect(sim, keys=keys)
    nav = Navigator(client)
    backend = await nav.backend(BACKEND)
    root = await nav.get(nav.href(backend, "mc:locations"))
    assert (root["common"]["name"], root["base"]["systemID"]) == ("Archive", ARCHIVE.system_id)
    hits = await nav.get(nav.href(backend, "mc:search", search="cup final"))
    assert {h["base"]["systemID"] for h in nav.embedded(hits, "aa:asset")} == {ARCHIVE.system_id}
    # The unified view walks the chosen system's tree, and its ids open there.
    gateway_root = await nav.root()
    listed = await nav.get(nav.href(gateway_root, "gw:assets", backend=BACKEND, per_page=100))
    ids = [item["id"] for item in nav.embedded(listed, "gw:asset")]
    archive = sim.platform.catalogues[1].assets
    assert sorted(ids) == sorted(f"{BACKEND}:{i}" for i in archive)
    opened = await nav.get(nav.href(gateway_root, "gw:asset", id=ids[0]))
    assert opened["id"] == ids[0]
    # Nothing went to the other system's services.
    assert not [p for p in sim.counters.paths if realm(NEWSROOM) in p]
    assert [p for p in sim.counters.paths if realm(ARCHIVE) in p]
    assert nav.leaks(sim.url) == []


@pytest.mark.parametrize(
    ("systems", "keys", "says"),
    [
        pytest.param(
            (NEWSROOM, ARCHIVE),
            {},
            "lists several systems",
            id="several-and-none-named",
        ),
        pytest.param(
            (NEWSROOM, ARCHIVE),
            {"system_id": "9F1B2C3D-0000-4000-8000-000000000000"},
            'lists no system with system_id "9F1B2C3D-0000-4000-8000-000000000000"',
            id="named-but-missing",
        ),
        pytest.param(
            (NEWSROOM, TWO_PAM),
            {"system_type": "interplay-pam"},
            'system_type "interplay-pam" fits several systems',
            id="type-fits-several",
        ),
    ],
)
async def test_an_unsettled_choice_is_a_503_naming_the_systems(
    simulators: SimFactory,
    connect: Connect,
    systems: tuple[SimSystem, ...],
    keys: dict[str, str],
    says: str,
) -> None:
    sim = await simulators(systems=systems)
    nav = Navigator(await connect(sim, keys=keys))
    backend = await nav.backend(BACKEND)
    problem = await nav.problem("GET", nav.href(backend, "mc:locations"), 503)
    assert problem["backend"] == BACKEND
    assert says in problem["detail"]
    for system in systems:
        pair = f'{system.system_type}/{system.system_id} "{system.name}"'
        assert pair in problem["detail"]
    # The readiness probe fails with the same words, for the operator to see.
    response, ready = await nav.request("GET", nav.base + "/readyz")
    assert response.status == 503  # its one backend is not ready
    assert says in ready["backends"][BACKEND]["problem"]["detail"]
    listing = await nav.get(nav.base + "/backends")
    assert [b["ready"] for b in nav.embedded(listing, "gw:backend")] == [False]
    assert nav.leaks(sim.url) == []


def _roots(**resources: Any) -> dict[str, Any]:
    return {"resources": resources}


def test_a_relation_may_be_one_entry_or_an_array_and_may_name_no_system() -> None:
    pam = [{"systemType": "interplay-pam", "systemID": "P"}]
    doc = _roots(
        **{
            "loc:root-item": {"href": "/apis/p/locations/folders", "systems": pam},
            "aa:asset-by-id": [{"href": "/apis/p/assets/{id}", "templated": True, "systems": pam}],
            "search:simple-search": {"href": "/apis/global/search{?search}", "templated": True},
        }
    )
    found = parse_serviceroots(doc, UP + "/ctms-registry/v1", UP)
    assert found.by_rel["loc:root-item"].href == UP + "/apis/p/locations/folders"
    assert found.by_rel["aa:asset-by-id"].templated is True
    assert found.by_rel["search:simple-search"].href == UP + "/apis/global/search{?search}"


def test_only_the_chosen_systems_services_pass_through() -> None:
    def entry(path: str, system: str) -> dict[str, Any]:
        return {"href": UP + path, "systems": [{"systemType": "t", "systemID": system}]}

    doc = _roots(
        **{
            "loc:root-item": [
                entry("/apis/a/locations/folders", "A"),
                entry("/apis/b/locations/folders", "B"),
            ],
            "aa:asset-by-id": [
                entry("/apis/b/assets/{id}", "B"),
                entry("/apis/a/assets/{id}", "A"),
            ],
        }
    )
    found = parse_serviceroots(doc, UP + "/ctms-registry/v1", UP, SystemChoice("b"), BACKEND)
    assert found.by_rel["loc:root-item"].href == UP + "/apis/b/locations/folders"
    assert found.by_rel["aa:asset-by-id"].href == UP + "/apis/b/assets/{id}"
    assert found.origin_of("/apis/b/assets/x") == UP
    assert found.origin_of("/apis/a/assets/x") is None
    with pytest.raises(UpstreamUnavailable) as unsettled:
        parse_serviceroots(doc, UP + "/ctms-registry/v1", UP, backend=BACKEND)
    assert "t/A, t/B" in unsettled.value.detail


UNUSABLE = {
    "blank": ("system_id", "two words"),
    "semicolon": ("system_id", "a;realm=b"),
    "slash": ("system_type", "interplay/pam"),
    "empty": ("system_type", ""),
}
"""Values that cannot stand in a service path, by what is wrong with them."""


@pytest.mark.parametrize(("key", "value"), list(UNUSABLE.values()), ids=list(UNUSABLE))
def test_a_system_key_that_cannot_name_a_system_is_a_config_problem(
    make_config: ConfigFactory, key: str, value: str
) -> None:
    table = {"kind": "mediacentral", "url": "simulator", "username": "u", "password": "p"}
    with pytest.raises(ConfigError) as caught:
        make_config(backends={"mc": {**table, key: value}})
    assert caught.value.problems == [
        f"backends.mc.{key}: must be one word without blanks, ';', '/', '?', '#' or braces"
    ]
