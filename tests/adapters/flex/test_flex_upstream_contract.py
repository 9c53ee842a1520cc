"""Flex as the real system answers, through the gateway over real sockets.

The rows of the upstream contract table (``docs/backends/flex.md``) where the simulator
now answers as a real Flex does: nothing at ``/api``, typed collection items without
links, metadata in Flex's media types, Flex's host written with its default port.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from adapters.flex.mapping import Rewriter
from adapters.flex.simulator import FlexSimulator
from tests.support.flex.fixtures import NEWS, PACKAGE, PASSWORD, REEL, USER
from tests.support.flex.navigator import XML, Doc, Navigator
from tests.support.replies import Reply, fetch


async def raw(simulator: FlexSimulator, path: str) -> Reply:
    """Flex's own answer at ``path``, asked behind the gateway's back."""
    headers = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}
    async with aiohttp.ClientSession() as http:
        return await fetch(http, "GET", simulator.url + path, headers=headers)


async def upstream(simulator: FlexSimulator, path: str) -> Any:
    """What Flex itself holds at ``path``."""
    reply = await raw(simulator, path)
    assert reply.status == 200, reply.body
    return reply.json()


# --- readiness ---------------------------------------------------------------------------


async def test_a_flex_backend_becomes_ready(
    client: TestClient[Any, Any], simulator: FlexSimulator
) -> None:
    assert (await raw(simulator, "/api")).status == 404  # nothing there, as on a real Flex
    listed = await (await client.get("/backends")).json()
    ready = {b["name"]: b["ready"] for b in listed["_embedded"]["gw:backend"]}
    assert ready == {"mam": True, "misconfigured": False}
    # Only the backend with the wrong password is not ready; the gateway serves the other.
    readiness = await client.get("/readyz")
    assert readiness.status == 200
    body = await readiness.json()
    assert body["status"] == "degraded"
    assert [n for n, b in body["backends"].items() if not b["ready"]] == ["misconfigured"]


# --- collections -------------------------------------------------------------------------


async def unified_highlights(nav: Navigator) -> Doc:
    """The ``Highlights`` collection of ``mam`` in the unified view."""
    root = await nav.root()
    listing = await nav.follow(root, "gw:collections", backend="mam")
    found = [c for c in listing["_links"]["gw:collection"] if c["title"] == "Highlights"]
    assert len(found) == 1, listing
    return await nav.get(found[0]["href"])


async def test_collection_items_link_the_assets_they_hold(nav: Navigator) -> None:
    highlights = await unified_highlights(nav)
    assert highlights["created"].endswith("+00:00")  # from Flex's createdDate
    items = highlights["_embedded"]["gw:items"]
    assert [i["title"] for i in items] == [NEWS, "Weather map"]
    for item in items:
        opened = await nav.follow(item, "self")
        assert opened["title"] == item["title"]
        assert (await nav.follow(item, "gw:native"))["name"] == item["title"]

    own = await nav.follow(highlights, "gw:native")
    page = await nav.follow(own, "flex:items")
    first = page["_embedded"]["flex:item"][0]
    assert (first["type"], isinstance(first["itemKey"], str)) == ("media-asset", True)
    # An item has no address of its own: the asset is linked, never passed off as the item.
    assert "self" not in first["_links"]
    assert (await nav.follow(first, "flex:asset"))["name"] == NEWS


async def test_collections_take_new_items_of_every_asset_type(
    nav: Navigator, simulator: FlexSimulator
) -> None:
    highlights = await nav.follow(await unified_highlights(nav), "gw:native")
    reel, package = await nav.asset(REEL), await nav.asset(PACKAGE)
    href = nav.href(highlights, "flex:items")
    response, after = await nav.request("POST", href, json={"assets": [reel["id"], package["id"]]})
    assert response.status == 200, after
    items = after["_embedded"]["flex:item"]
    assert [i["type"] for i in items] == [
        "media-asset",
        "image-asset",
        "media-asset",
        "group-asset",
    ]
    assert [(await nav.follow(i, "flex:asset"))["name"] for i in items[2:]] == [REEL, PACKAGE]
    path = f"/api/collections/{highlights['id']}/items"
    stored = await upstream(simulator, path)
    assert [i["id"] for i in stored["items"][2:]] == [reel["id"], package["id"]]

    response, problem = await nav.request("POST", href, json={"assets": [999999]})
    assert response.status == 400
    assert "has no asset 999999" in problem["detail"]
    assert "upstream_status" not in problem  # found out before anything was sent
    assert (await upstream(simulator, path))["totalResults"] == 4


async def test_the_unified_collections_come_by_title_whatever_flexs_order(
    nav: Navigator,
) -> None:
    root = await nav.root()
    listing = await nav.follow(root, "gw:collections", backend="mam")
    titles = [c["title"] for c in listing["_links"]["gw:collection"]]
    assert titles == ["Approved video", "Highlights"]  # Flex lists Highlights first


# --- metadata ----------------------------------------------------------------------------


async def test_a_metadata_update_succeeds_and_reads_back(
    nav: Navigator, simulator: FlexSimulator
) -> None:
    news = await nav.asset(NEWS)
    metadata = await nav.follow(news, "flex:metadata")
    instance = {"metadata": {"title": "Late News", "keywords": {"keyword": ["late", "news"]}}}
    response, stored = await nav.request(
        "PUT", metadata["_links"]["self"]["href"], json={"instance": instance}
    )
    assert response.status == 200, stored
    assert stored["instance"] == instance
    assert (await nav.follow(news, "flex:metadata"))["instance"] == instance
    assert (await upstream(simulator, f"/api/assets/{news['id']}/metadata"))["instance"] == (
        instance
    )
    document = b"<metadata><title>From XML</title></metadata>"
    response, stored = await nav.request(
        "PUT", metadata["_links"]["self"]["href"], data=document, headers={"Content-Type": XML}
    )
    assert response.status == 200, stored
    upstream_instance = (await upstream(simulator, f"/api/assets/{news['id']}/metadata"))[
        "instance"
    ]
    assert upstream_instance == {"metadata": {"title": "From XML"}}


# --- what never leaks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "written"),
    [
        pytest.param("https://flex.example.org", "https://flex.example.org:443", id="443"),
        pytest.param("https://flex.example.org:443", "https://flex.example.org", id="bare"),
        pytest.param("http://flex.example.org", "http://flex.example.org:80", id="80"),
    ],
)
def test_flexs_host_is_recognised_with_its_default_port_spelt_out(base: str, written: str) -> None:
    rw = Rewriter(lambda path: "https://gw.example/backends/mam" + path, base)
    icons = {"small": f"{written}/images/icons/small/media-asset.png"}
    assert rw.value({"icons": icons, "note": f"see {written}/api/assets/5."}) == {
        "icons": {},
        "note": "see https://gw.example/backends/mam/assets/5.",
    }


async def test_object_types_show_no_icon_urls_of_the_upstream(
    nav: Navigator, simulator: FlexSimulator
) -> None:
    news = await nav.asset(NEWS)
    media = await nav.follow(news, "flex:object-type")
    assert media["name"] == "media-asset"
    assert media["icons"] == {}
    assert nav.leaks(simulator.url) == []


async def test_a_refused_member_reaches_the_client_without_flexs_java_classes(
    nav: Navigator,
) -> None:
    backend = await nav.backend()
    response, problem = await nav.request(
        "POST", nav.href(backend, "flex:assets"), json={"name": "Rushes", "colour": "red"}
    )
    assert (response.status, problem["upstream_status"]) == (400, 400)
    assert problem["errors"] == ['Unrecognized field "colour", not marked as ignorable']
    assert not [text for text in nav.seen if "tv.nativ" in text or "CoyoteInputStream" in text]
