"""The unified view against the four simulators: one list, one search, one id."""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from gateway.unified.lists import CURSOR_TTL_S, CURSORS
from gateway.web.hal import expand
from gateway.web.statuses import ERROR_STATUSES
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory, backend_simulator
from tests.support.identities import bearer

HAL = "application/hal+json"
Doc = dict[str, Any]
ALL = ("avalon", "mediacentral", "flex", "azure")
TERM = "interview"


def _backends() -> dict[str, dict[str, Any]]:
    return {
        "avalon": {"kind": "avalon", "url": "simulator", "api_key": "a" * 128},
        "mediacentral": {
            "kind": "mediacentral",
            "url": "simulator",
            "username": "newsroom",
            "password": "mc-password-1",
        },
        "flex": {"kind": "flex", "url": "simulator", "username": "u", "password": "p-secret"},
        "azure": {"kind": "azure", "url": "simulator", "token": "t-secret"},
    }


@pytest.fixture
async def client(gateway: GatewayFactory, make_config: ConfigFactory) -> TestClient[Any, Any]:
    """A gateway in front of one simulator of each kind; the admin's token."""
    return await gateway(make_config(server={"fanout_budget_s": 1.0}, backends=_backends()))


async def _get(client: TestClient[Any, Any], href: str, status: int = 200) -> Doc:
    url = href if href.startswith("http") else client.make_url(href)
    response = await client.session.get(url, headers={"Accept": HAL})
    body: Doc = await response.json()
    assert response.status == status, body
    return body


async def _assets_href(client: TestClient[Any, Any], **params: str) -> str:
    root = await _get(client, "/")
    return expand(root["_links"]["gw:assets"]["href"], **params)


def _items(page: Doc, rel: str = "gw:asset") -> list[Doc]:
    items: list[Doc] = page.get("_embedded", {}).get(rel, [])
    return items


async def _every_page(client: TestClient[Any, Any], href: str) -> list[Doc]:
    pages = []
    while True:
        page = await _get(client, href)
        pages.append(page)
        following = page["_links"].get("next")
        if following is None:
            return pages
        assert len(pages) < 100, "the list never ends"
        href = following["href"]


async def test_a_query_matching_every_backend_pages_without_gaps_or_repeats(
    client: TestClient[Any, Any],
) -> None:
    href = await _assets_href(client, q=TERM, per_page="3")
    pages = await _every_page(client, href)
    seen = [item["id"] for page in pages for item in _items(page)]
    assert len(pages) > 2
    assert len(seen) == len(set(seen)), "an asset came twice"
    assert {item.split(":", 1)[0] for item in seen} == set(ALL)
    assert all(not page["partial"] for page in pages)
    assert all(len(_items(page)) == 3 for page in pages[:-1])
    # Each backend on its own lists exactly what the merged pages held: no gaps.
    for name in ALL:
        alone = await _get(client, await _assets_href(client, q=TERM, backend=name, per_page="100"))
        assert "next" not in alone["_links"]
        assert [i["id"] for i in _items(alone)] == [i for i in seen if i.startswith(name + ":")]
    for item in (i for page in pages for i in _items(page)):
        assert TERM in item["title"].casefold()


async def test_pages_follow_the_documented_order_and_repeat_the_same(
    client: TestClient[Any, Any],
) -> None:
    href = await _assets_href(client, q=TERM, per_page="4")
    first = await _get(client, href)
    again = await _get(client, href)
    assert [i["id"] for i in _items(first)] == [i["id"] for i in _items(again)]
    second_href = first["_links"]["next"]["href"]
    second = await _get(client, second_href)
    assert await _get(client, second_href) == second
    # The smallest (title, id) of what every backend has next comes first.
    heads = []
    for name in ALL:
        alone = await _get(client, await _assets_href(client, q=TERM, backend=name, per_page="1"))
        heads.extend(_items(alone))
    smallest = min(heads, key=lambda i: (i["title"].casefold(), i["id"]))
    assert _items(first)[0]["id"] == smallest["id"]


async def test_the_unified_asset_has_its_fields_links_and_one_id(
    client: TestClient[Any, Any],
) -> None:
    page = await _get(client, await _assets_href(client, q=TERM, per_page="50"))
    for item in _items(page):
        backend, _, native = item["id"].partition(":")
        assert (item["backend"], item["native_id"]) == (backend, native)
        assert item["type"] in ("video", "audio", "image", "group", "other")
        links = item["_links"]
        assert links["profile"]["href"].endswith("/schemas/asset")
        one = await _get(client, links["self"]["href"])
        assert {k: v for k, v in one.items() if k != "_links"} == {
            k: v for k, v in item.items() if k != "_links"
        }
        native_doc = await client.session.get(links["gw:native"]["href"])
        assert native_doc.status == 200, item
    schema = await client.get("/schemas/asset", headers={"Authorization": ""})
    assert schema.status == 200
    assert schema.content_type == "application/schema+json"
    required = set((await schema.json())["required"])
    assert all(required <= set(item) for item in _items(page))


async def test_backend_and_type_filters(client: TestClient[Any, Any]) -> None:
    two = await _get(client, await _assets_href(client, backend="avalon,flex", per_page="100"))
    assert {i["backend"] for i in _items(two)} == {"avalon", "flex"}
    videos = await _get(client, await _assets_href(client, type="video", per_page="100"))
    assert _items(videos)
    assert {i["type"] for i in _items(videos)} == {"video"}
    everything = await _get(client, await _assets_href(client, per_page="100"))
    assert {i["type"] for i in _items(everything)} > {"video"}
    for params, detail in (
        ({"backend": "nowhere"}, "no backend nowhere"),
        ({"type": "hologram"}, "type must be one of"),
        ({"per_page": "0"}, "per_page"),
    ):
        problem = await _get(client, await _assets_href(client, **params), 400)
        assert detail in problem["detail"]


async def test_a_changed_or_borrowed_cursor_is_a_400(client: TestClient[Any, Any]) -> None:
    page = await _get(client, await _assets_href(client, q=TERM, per_page="2"))
    following = page["_links"]["next"]["href"]
    cursor = following.split("cursor=", 1)[1].split("&", 1)[0]
    forged = ("A" if cursor[0] != "A" else "B") + cursor[1:]
    for href in (
        following.replace(cursor, forged),
        await _assets_href(client, q="other", per_page="2", cursor=cursor),
        await _assets_href(client, q=TERM, per_page="2", cursor="not-a-cursor"),
    ):
        problem = await _get(client, href, 400)
        assert "cursor" in problem["detail"]
    # Another caller cannot follow it, and it names no backend.
    other = await client.session.get(following, headers=bearer(client.app, "editor"))
    assert other.status == 400
    assert not any(name in _decoded(cursor) for name in ALL)
    # The page size may change on the way: positions do not depend on it.
    resized = await _get(client, await _assets_href(client, q=TERM, per_page="3", cursor=cursor))
    assert resized["count"] == 3


def _decoded(cursor: str) -> str:
    payload = cursor.split(".")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


async def test_a_slow_backend_leaves_a_partial_list_within_the_budget(
    client: TestClient[Any, Any],
) -> None:
    backend_simulator(client, "flex").latency_s = 5.0
    started = time.monotonic()
    page = await _get(client, await _assets_href(client, q=TERM, per_page="50"))
    elapsed = time.monotonic() - started
    assert elapsed < 5.0  # the list did not wait for the slow backend
    assert page["partial"] is True
    assert "flex" not in {i["backend"] for i in _items(page)}
    assert {i["backend"] for i in _items(page)} == {"avalon", "mediacentral", "azure"}
    [problem] = _items(page, "gw:problem")
    assert (problem["backend"], problem["status"], problem["transient"]) == ("flex", 408, True)
    assert "budget of 1 s" in problem["detail"]


async def test_a_broken_backend_leaves_a_partial_list_that_asks_it_again_later(
    client: TestClient[Any, Any],
) -> None:
    backend_simulator(client, "avalon").fail_status = 500
    page = await _get(client, await _assets_href(client, q=TERM, per_page="2"))
    [problem] = _items(page, "gw:problem")
    assert problem["backend"] == "avalon"
    assert problem["status"] in ERROR_STATUSES
    backend_simulator(client, "avalon").fail_status = None
    rest = await _every_page(client, page["_links"]["next"]["href"])
    later = {i["backend"] for p in rest for i in _items(p)}
    assert "avalon" in later  # asked again from where it stood


async def test_when_every_backend_fails_the_list_fails_with_the_most_telling_status(
    client: TestClient[Any, Any],
) -> None:
    for name in ALL:
        backend_simulator(client, name).fail_status = 503
    problem = await _get(client, await _assets_href(client, q=TERM), 503)
    assert problem["code"] == "every-backend-failed"
    assert sorted(b["backend"] for b in problem["backends"]) == sorted(ALL)


async def test_assets_by_id_say_what_is_wrong(
    client: TestClient[Any, Any], gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    for uid, status in (
        ("nowhere:1", 404),
        ("flex", 404),
        ("flex:no-such-asset-99999", 404),
    ):
        problem = await _get(client, "/assets/" + uid, status)
        assert problem["status"] == status
    restricted = make_config(
        backends={**_backends(), "flex": {**_backends()["flex"], "roles": ["admin"]}}
    )
    reader = await gateway(restricted, user="reader")
    page = await _get(reader, "/assets?per_page=100")
    assert "flex" not in {i["backend"] for i in _items(page)}
    # A backend the caller may not use is not there for them, as in the lists.
    assert (await reader.get("/assets/flex:1")).status == 404
    assert (await reader.get("/assets/nowhere:1")).status == 404
    assert (await client.get("/collections/azure:any")).status == 404  # it has none


async def _collections(client: TestClient[Any, Any]) -> list[Doc]:
    """The links of every collection, from the root."""
    root = await _get(client, "/")
    listing = await _get(client, expand(root["_links"]["gw:collections"]["href"], per_page="100"))
    assert listing["partial"] is False
    # Linked, not embedded: a collection's representation holds a page of its items.
    assert "gw:collection" not in listing.get("_embedded", {})
    links: list[Doc] = listing["_links"]["gw:collection"]
    return links


async def test_collections_list_and_page_their_items(client: TestClient[Any, Any]) -> None:
    collections = await _collections(client)
    backends = {c["name"].split(":", 1)[0] for c in collections}
    assert backends >= {"avalon", "flex", "mediacentral"}
    assert "azure" not in backends  # the connector has none
    for link in collections:
        backend = link["name"].split(":", 1)[0]
        one = await _get(client, link["href"])
        assert (one["id"], one["title"]) == (link["name"], link["title"])
        per_one = await _get(client, link["href"] + "?per_page=1")
        seen = [i["id"] for i in _items(per_one, "gw:items")]
        href = per_one["_links"].get("next", {}).get("href")
        while href is not None:
            more = await _get(client, href)
            seen.extend(i["id"] for i in _items(more, "gw:items"))
            href = more["_links"].get("next", {}).get("href")
        assert len(seen) == len(set(seen)) == one["page"]["totalElements"]
        assert all(i.startswith(backend + ":") for i in seen)


def _page_number(href: str) -> int:
    return int(parse_qs(urlsplit(href).query)["page"][0])


async def test_a_collection_pages_like_every_list(client: TestClient[Any, Any]) -> None:
    links = await _collections(client)
    first = await _get(client, links[0]["href"])
    totals = [first["page"]["totalElements"]]
    # The biggest collection, three to a page.
    for link in links[1:]:
        doc = await _get(client, link["href"])
        totals.append(doc["page"]["totalElements"])
    biggest = links[totals.index(max(totals))]
    assert max(totals) > 3
    one = await _get(client, biggest["href"])
    template = one["_links"]["self"]["href"].split("?")[0] + "{?page,per_page}"
    pages = -(-max(totals) // 3)
    page = await _get(client, expand(template, page="2", per_page="3"))
    assert page["page"] == {
        "size": 3,
        "totalElements": max(totals),
        "totalPages": pages,
        "number": 2,
    }
    numbers = {rel: _page_number(page["_links"][rel]["href"]) for rel in ("first", "prev", "last")}
    assert numbers == {"first": 1, "prev": 1, "last": pages}
    assert ("next" in page["_links"]) == (pages > 2)
    last = await _get(client, page["_links"]["last"]["href"])
    assert "next" not in last["_links"]
    assert len(_items(last, "gw:items")) == max(totals) - 3 * (pages - 1)
    # Past the end: an empty page that leads back to the last one.
    beyond = await _get(client, expand(template, page=str(pages + 5), per_page="3"))
    assert _items(beyond, "gw:items") == []
    assert "next" not in beyond["_links"]
    assert _page_number(beyond["_links"]["prev"]["href"]) == pages
    assert _page_number(beyond["_links"]["last"]["href"]) == pages


async def test_an_empty_collection_has_one_empty_page(client: TestClient[Any, Any]) -> None:
    avalon = await _get(client, "/backends/avalon")
    created = await client.session.post(
        expand(avalon["_links"]["avalon:collections"]["href"]),
        json={"name": "Nothing yet", "unit": "Default Unit", "description": "empty"},
    )
    assert created.status == 201, await created.text()
    native = (await created.json())["id"]
    links = await _collections(client)
    [link] = [c for c in links if c["name"] == f"avalon:{native}"]
    empty = await _get(client, link["href"])
    assert empty["page"] == {"size": 25, "totalElements": 0, "totalPages": 0, "number": 1}
    assert _items(empty, "gw:items") == []
    assert "prev" not in empty["_links"]
    assert "next" not in empty["_links"]
    assert empty["_links"]["last"] == empty["_links"]["first"] == empty["_links"]["self"]


async def test_every_backend_root_links_its_own_unified_assets(
    client: TestClient[Any, Any],
) -> None:
    root = await _get(client, "/")
    for link in root["_links"]["gw:backend"]:
        backend = await _get(client, link["href"])
        assets = backend["_links"]["gw:assets"]
        assert assets["templated"] is True
        own = await _get(client, expand(assets["href"], q=TERM, per_page="100"))
        assert own["backend"] == link["name"]
        assert _items(own)
        assert {i["backend"] for i in _items(own)} == {link["name"]}
        merged = await _get(
            client, await _assets_href(client, q=TERM, backend=link["name"], per_page="100")
        )
        assert [i["id"] for i in _items(own)] == [i["id"] for i in _items(merged)]


async def test_the_registry_offers_the_unified_view_for_every_backend(
    client: TestClient[Any, Any],
) -> None:
    registry = await _get(client, "/serviceroots")
    for rel in ("aa:assets", "search:simple-search"):
        unified = [e for e in registry["resources"][rel] if "/backends/" not in e["href"]]
        [entry] = unified
        assert entry["templated"] is True
        assert sorted(s["systemID"] for s in entry["systems"]) == sorted(ALL)


async def test_lists_need_a_login(client: TestClient[Any, Any]) -> None:
    for href in ("/assets", "/collections", "/assets/flex:1"):
        response = await client.get(href, headers={"Authorization": ""})
        assert response.status == 401


async def test_a_later_page_whose_backends_all_fail_is_partial_not_an_error(
    client: TestClient[Any, Any],
) -> None:
    first = await _get(client, await _assets_href(client, q=TERM, per_page="2"))
    for name in ALL:
        backend_simulator(client, name).fail_status = 503
    later = await _get(client, first["_links"]["next"]["href"])
    assert (later["partial"], later["count"]) == (True, 0)
    assert _items(later, "gw:problem")
    for name in ALL:
        backend_simulator(client, name).fail_status = None
    # The same cursor goes on once the backends are back: nothing was lost.
    again = await _get(client, later["_links"]["next"]["href"])
    assert again["count"] == 2


@pytest.mark.parametrize("params", [{}, {"q": TERM}, {"type": "video"}])
async def test_the_merged_list_is_in_title_order_across_pages(
    client: TestClient[Any, Any], params: dict[str, str]
) -> None:
    pages = await _every_page(client, await _assets_href(client, per_page="7", **params))
    titles = [item["title"].casefold() for page in pages for item in _items(page)]
    assert len(titles) > 7
    assert titles == sorted(titles)


async def test_a_cursor_followed_after_its_life_is_a_400_that_says_start_again(
    client: TestClient[Any, Any],
) -> None:
    clock = FakeClock()
    client.app[CURSORS].clock = clock
    first = await _get(client, await _assets_href(client, q=TERM, per_page="2"))
    following = first["_links"]["next"]["href"]
    clock.advance(CURSOR_TTL_S - 1)
    assert len(_items(await _get(client, following))) == 2
    clock.advance(2)
    problem = await _get(client, following, 400)
    assert problem["code"] == "bad-request"
    assert "the cursor has expired; start again from the first page" in problem["detail"]
    # The list's first page still opens, and its next link has a life of its own again.
    again = await _get(client, first["_links"]["first"]["href"])
    assert len(_items(await _get(client, again["_links"]["next"]["href"]))) == 2
