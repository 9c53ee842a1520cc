"""The Flex backend's registry entries and relation docs, and that its upstream never shows."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.flex.mapping import Rewriter
from adapters.flex.simulator import FlexSimulator
from gateway.web import hal
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.flex.fixtures import NEWS, PACKAGE, PASSWORD, USER
from tests.support.flex.navigator import XML, Navigator

# --- registry, documentation, and what never leaks ---------------------------------------


async def test_registry_lists_flex_services(nav: Navigator) -> None:
    root = await nav.get(str(nav.client.make_url("/")))
    registry = await nav.follow(root, "registry:serviceroots")
    for rel in ("aa:assets", "aa:asset-by-id", "flex:assets", "flex:collections"):
        systems = [s["systemID"] for e in registry["resources"][rel] for s in e["systems"]]
        assert "mam" in systems
    entries = registry["resources"]["aa:asset-by-id"]
    # The backend's own entry takes its native ids; the root's gw:asset the unified ones.
    own = next(e for e in entries if [s["systemID"] for s in e["systems"]] == ["mam"])
    assert own["templated"] is True
    news = await nav.asset(NEWS)
    assert (await nav.get(hal.expand(own["href"], id=news["id"])))["name"] == NEWS
    asset = await nav.get(hal.expand(root["_links"]["gw:asset"]["href"], id=f"mam:{news['id']}"))
    assert (asset["title"], asset["type"]) == (NEWS, "video")


async def tour(nav: Navigator) -> None:
    """Visit every kind of document and error the backend answers."""
    backend = await nav.backend()
    for rel in ("flex:collections", "flex:accounts", "flex:actions", "flex:event-handlers"):
        listing = await nav.follow(backend, rel)
        for items in listing["_embedded"].values():
            await nav.follow(items[0], "self")
    events = await nav.follow(backend, "flex:events", per_page=500)
    upload = next(e for e in events["_embedded"]["flex:event"] if "flex:file" in e["_links"])
    await nav.request("GET", nav.href(upload, "flex:file"))
    groups = await nav.follow(backend, "flex:groups")
    await nav.follow(groups["_embedded"]["flex:group"][0], "flex:users")
    collections = await nav.follow(backend, "flex:collections")
    await nav.follow(collections["_embedded"]["flex:collection"][0], "flex:items")
    package = await nav.asset(PACKAGE)
    members = await nav.follow(package, "flex:members")
    await nav.follow(members["_embedded"]["flex:member"][0], "self")
    news = await nav.asset(NEWS)
    await nav.follow(news, "flex:object-type")
    await nav.follow(news, "flex:account")
    for rel in (
        "flex:metadata",
        "flex:annotations",
        "flex:keyframes",
        "flex:actions",
        "flex:parents",
        "flex:children",
        "flex:comments",
        "flex:history",
    ):
        doc = await nav.follow(news, rel)
        for items in doc.get("_embedded", {}).values():
            await nav.follow(items[0], "self")
    metadata = await nav.follow(news, "flex:metadata")
    await nav.request("GET", metadata["_links"]["alternate"]["href"])
    await nav.request("GET", nav.href(news, "flex:keyframe-image", keyframe_id="1"))
    await nav.request("POST", nav.href(news, "flex:actions"), json={"action": "approve"})
    await nav.request("GET", nav.href(backend, "flex:asset", id="999999"))
    await nav.request("GET", nav.href(backend, "flex:assets", fql="nonsense"))
    await nav.request(
        "PUT", metadata["_links"]["self"]["href"], data=b"<a>", headers={"Content-Type": XML}
    )


async def test_every_flex_relation_is_documented(nav: Navigator) -> None:
    await tour(nav)
    found: set[str] = set()

    def collect(doc: Any) -> None:
        if isinstance(doc, dict):
            found.update(rel for rel in doc.get("_links", {}) if rel.startswith("flex:"))
            found.update(rel for rel in doc.get("_embedded", {}) if rel.startswith("flex:"))
            for value in doc.values():
                collect(value)
        elif isinstance(doc, list):
            for value in doc:
                collect(value)

    collect(nav.documents)
    assert {"flex:assets", "flex:members", "flex:keyframe-image", "flex:file", "flex:user"} <= found
    backend = await nav.backend()
    curie = next(c for c in backend["_links"]["curies"] if c["name"] == "flex")
    for rel in sorted(found):
        async with nav.session.get(curie["href"].replace("{rel}", rel.split(":", 1)[1])) as page:
            assert page.status == 200, rel


async def test_the_upstream_never_shows(nav: Navigator, simulator: FlexSimulator) -> None:
    await tour(nav)
    port = simulator.url.rsplit(":", 1)[1]
    assert len(nav.seen) > 30
    for text in nav.seen:
        assert simulator.url not in text
        assert f":{port}/" not in text
        for matrix in (";offset=", ";limit=", ";name=", ";fql=", "/api/"):
            assert matrix not in text
        assert "/storage/" not in text  # where Flex keeps its files


def test_upstream_urls_are_rewritten_inside_text_and_dropped_from_lists() -> None:
    rw = Rewriter(lambda path: "https://gw.example/backends/mam" + path, "http://flex.internal")
    data = {
        "note": "see http://flex.internal/api/assets/5;x=1 and http://flex.internal/api/x/9.",
        "links": ["http://flex.internal/api/assets/3", "http://flex.internal/api/x/1", None],
        "fileInformation": {"originalFileName": "a.mxf", "currentLocation": "/storage/a.mxf"},
    }
    assert rw.value(data) == {
        "note": "see https://gw.example/backends/mam/assets/5 and [link removed].",
        "links": ["https://gw.example/backends/mam/assets/3", None],
        "fileInformation": {"originalFileName": "a.mxf"},
    }


# --- a broken upstream -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "status", "code"),
    [
        pytest.param({"fail_status": 503}, 503, "upstream-status", id="failing"),
        pytest.param({"drop_connections": True}, 503, "upstream-unavailable", id="dropping"),
        pytest.param({"latency_s": 0.5}, 408, "upstream-timeout", id="too-slow"),
    ],
)
async def test_a_broken_flex_answers_a_problem_without_its_host(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    faults: dict[str, Any],
    status: int,
    code: str,
) -> None:
    sim = FlexSimulator(users={USER: PASSWORD}, **faults)
    await sim.start()
    try:
        table = {"kind": "flex", "url": sim.url, "username": USER, "password": PASSWORD}
        config = make_config(backends={"mam": {**table, "timeout_s": 0.05, "retries": 0}})
        nav = Navigator(await gateway(config))
        backend = await nav.backend()
        problem = await nav.problem("GET", nav.href(backend, "flex:assets"), status)
        assert problem["code"] == code
        assert problem["backend"] == "mam"
        assert nav.leaks(sim.url) == []
    finally:
        await sim.close()
