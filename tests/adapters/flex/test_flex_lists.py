"""Flex lists through the gateway: asset paging and filters, collections, the MAM-wide families."""

from __future__ import annotations

import pytest

from adapters.flex.simulator import FlexSimulator
from tests.support.flex.fixtures import NEWS, REEL, USER
from tests.support.flex.navigator import Doc, Navigator

# --- lists and paging --------------------------------------------------------------------


async def test_a_250_asset_list_pages_through_every_item_once(nav: Navigator) -> None:
    backend = await nav.backend()
    page = await nav.follow(backend, "flex:assets", name="Clip", per_page=40)
    names: list[str] = []
    numbers: list[int] = []
    while True:
        numbers.append(page["page"]["number"])
        names += [a["name"] for a in page["_embedded"]["flex:asset"]]
        assert all("name=Clip" in page["_links"][rel]["href"] for rel in ("self", "first", "last"))
        if "next" not in page["_links"]:
            break
        page = await nav.follow(page, "next")
    assert names == [f"Clip {n:04d}" for n in range(1, 251)]
    assert numbers == [1, 2, 3, 4, 5, 6, 7]
    assert page["page"] == {"size": 40, "totalElements": 250, "totalPages": 7, "number": 7}
    assert page["_links"]["last"]["href"] == page["_links"]["self"]["href"]
    back = await nav.follow(page, "prev")
    assert back["_embedded"]["flex:asset"][0]["name"] == "Clip 0201"


@pytest.mark.parametrize(
    ("per_page", "page_number", "first", "count"),
    [
        pytest.param(250, 1, "Clip 0001", 250, id="one-page-of-three-upstream-pages"),
        pytest.param(120, 2, "Clip 0121", 120, id="pages-across-upstream-pages"),
        pytest.param(500, 1, "Clip 0001", 250, id="largest-page"),
        pytest.param(100, 3, "Clip 0201", 50, id="last-partial-page"),
        pytest.param(100, 9, None, 0, id="past-the-end"),
    ],
)
async def test_pages_over_100_are_served_from_several_upstream_pages(
    nav: Navigator, per_page: int, page_number: int, first: str | None, count: int
) -> None:
    backend = await nav.backend()
    page = await nav.follow(
        backend, "flex:assets", name="Clip", per_page=per_page, page=page_number
    )
    items = page.get("_embedded", {}).get("flex:asset", [])
    assert len(items) == count
    assert len({a["id"] for a in items}) == count
    if first is not None:
        assert items[0]["name"] == first
    assert page["page"]["totalElements"] == 250


@pytest.mark.parametrize(
    ("query", "names"),
    [
        pytest.param({"name": "Clip", "sort": "-name", "per_page": 2}, ["Clip 0250", "Clip 0249"]),
        pytest.param({"fql": "fileAssetType = AUDIO"}, [REEL]),
        pytest.param({"fql": 'name ~ "evening" AND approved = true'}, [NEWS]),
        pytest.param({"name": "weather", "sort": "created"}, ["Weather map"]),
    ],
)
async def test_assets_filter_and_sort(nav: Navigator, query: Doc, names: list[str]) -> None:
    page = await nav.follow(await nav.backend(), "flex:assets", **query)
    assert [a["name"] for a in page["_embedded"]["flex:asset"]] == names


@pytest.mark.parametrize(
    ("query", "detail", "upstream"),
    [
        pytest.param({"per_page": "501"}, "at most 500", None, id="per-page-over-500"),
        pytest.param({"sort": "size"}, "sort must be one of", None, id="unknown-sort"),
        pytest.param({"fql": "colour = red"}, "backend mam answered 400", 400, id="bad-fql"),
    ],
)
async def test_bad_list_queries_are_400(
    nav: Navigator, query: dict[str, str], detail: str, upstream: int | None
) -> None:
    href = nav.href(await nav.backend(), "flex:assets")
    response, problem = await nav.request("GET", href, params=query)
    assert response.status == 400
    assert detail in problem["detail"]
    assert problem.get("upstream_status") == upstream


async def test_a_semicolon_in_a_filter_stays_part_of_the_value(
    nav: Navigator, simulator: FlexSimulator
) -> None:
    backend = await nav.backend()
    for name in ("Drama; episode 1", "Drama special"):
        response, body = await nav.request(
            "POST", nav.href(backend, "flex:assets"), json={"name": name}
        )
        assert response.status == 201, body
    # Read as a separator, the ";" would leave the filter "Drama" matching both.
    page = await nav.follow(backend, "flex:assets", name="Drama; episode 1")
    assert [a["name"] for a in page["_embedded"]["flex:asset"]] == ["Drama; episode 1"]


# --- collections and the MAM-wide families -----------------------------------------------


async def asset_names(nav: Navigator, items: Doc) -> list[str]:
    """The names of the assets a page of collection items links."""
    return [(await nav.follow(i, "flex:asset"))["name"] for i in items["_embedded"]["flex:item"]]


async def test_collections_and_their_items(nav: Navigator) -> None:
    backend = await nav.backend()
    collections = await nav.follow(backend, "flex:collections")
    by_name = {c["name"]: c for c in collections["_embedded"]["flex:collection"]}
    highlights = await nav.follow(by_name["Highlights"], "self")
    items = await nav.follow(highlights, "flex:items", per_page=1)
    assert items["page"]["totalElements"] == 2
    assert await asset_names(nav, items) == [NEWS]
    reel = await nav.asset(REEL)
    response, after = await nav.request(
        "POST", nav.href(highlights, "flex:items"), json={"assets": [reel["id"]]}
    )
    assert response.status == 200
    assert await asset_names(nav, after) == [NEWS, "Weather map", REEL]

    dynamic = await nav.follow(by_name["Approved video"], "self")
    assert dynamic["fql"] == "fileAssetType = VIDEO AND approved = true"
    items = await nav.follow(dynamic, "flex:items")
    assert await asset_names(nav, items) == [NEWS]

    response, made = await nav.request(
        "POST",
        nav.href(backend, "flex:collections"),
        json={"name": "Audio", "fql": "fileAssetType = AUDIO"},
    )
    assert response.status == 201
    assert (await nav.follow(made, "flex:items"))["page"]["totalElements"] == 1
    response, _ = await nav.request("DELETE", made["_links"]["self"]["href"])
    assert response.status == 204
    response, problem = await nav.request("GET", nav.href(backend, "flex:collection", id="42"))
    assert response.status == 404
    assert "uuid" in problem["detail"]


@pytest.mark.parametrize(
    ("rel", "item_rel", "names"),
    [
        pytest.param("flex:accounts", "flex:account", ["Master Account", "News Account"]),
        pytest.param("flex:actions", "flex:action", ["Transcode to proxy", "Publish"]),
        pytest.param("flex:event-handlers", "flex:event-handler", ["Notify on approval", "Purge"]),
        pytest.param("flex:groups", "flex:group", ["Editors", "Reviewers"]),
    ],
)
async def test_mam_wide_families(nav: Navigator, rel: str, item_rel: str, names: list[str]) -> None:
    listing = await nav.follow(await nav.backend(), rel)
    items = listing["_embedded"][item_rel]
    assert [i["name"] for i in items] == names
    one = await nav.follow(items[0], "self")
    assert one["id"] == items[0]["id"]


async def test_events_link_the_files_they_left(nav: Navigator) -> None:
    events = await nav.follow(await nav.backend(), "flex:events", per_page=500)
    uploads = [e for e in events["_embedded"]["flex:event"] if "flex:file" in e["_links"]]
    assert [e["eventType"] for e in uploads] == ["Attachment Uploaded"]
    response, data = await nav.request("GET", nav.href(uploads[0], "flex:file"))
    assert response.status == 200
    assert response.content_type == "image/png"
    assert data.startswith(b"\x89PNG")


async def test_user_groups_take_their_members_in_order(nav: Navigator) -> None:
    groups = await nav.follow(await nav.backend(), "flex:groups")
    editors = next(g for g in groups["_embedded"]["flex:group"] if g["name"] == "Editors")
    users = await nav.follow(editors, "flex:users")
    people = users["_embedded"]["flex:user"]
    assert [u["name"] for u in people] == [USER, "editor"]
    assert (await nav.follow(people[1], "self"))["name"] == "editor"
    response, reordered = await nav.request(
        "PUT", nav.href(editors, "flex:users"), json={"users": [people[1]["id"], people[0]["id"]]}
    )
    assert response.status == 200
    assert [u["name"] for u in reordered["_embedded"]["flex:user"]] == ["editor", USER]
