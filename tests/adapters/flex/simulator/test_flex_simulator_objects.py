"""The Flex simulator's group members, collections, accounts, events, handlers and user groups."""

from __future__ import annotations

import re
import uuid

import pytest
from yarl import URL

from adapters.flex.simulator import DEFAULT_USER, FlexSimulator
from tests.support.flex.direct import Api, Doc, asset_named, error, ok

# --- group memberships -------------------------------------------------------------------


async def test_group_members_are_ordered_by_index(api: Api) -> None:
    package = await asset_named(api, "Morning Show package")
    reel = await asset_named(api, "Archive reel 1968")
    path = f"/api/assets/{package['id']}/members"

    async def order() -> list[tuple[int, str]]:
        body = await ok(api, "GET", path)
        return [(m["index"], m["child"]["name"]) for m in body["memberships"]]

    assert await order() == [
        (1, "Evening News 2024-01-29"),
        (2, "Weather map"),
        (3, "Interview raw footage"),
    ]
    added = await ok(api, "POST", path, 201, json={"assetId": reel["id"], "index": 1})
    assert added["index"] == 1
    await ok(api, "PUT", URL(added["href"]).path, json={"index": 4})
    assert [n for _, n in await order()] == [
        "Evening News 2024-01-29",
        "Weather map",
        "Interview raw footage",
        "Archive reel 1968",
    ]
    assert [i for i, _ in await order()] == [1, 2, 3, 4]
    parents = await ok(api, "GET", f"/api/assets/{reel['id']}/memberships")
    assert [m["parent"]["id"] for m in parents["memberships"]] == [package["id"]]
    first = (await ok(api, "GET", path))["memberships"][0]
    assert (await api("DELETE", URL(first["href"]).path)).status == 204
    assert await order() == [
        (1, "Weather map"),
        (2, "Interview raw footage"),
        (3, "Archive reel 1968"),
    ]


@pytest.mark.parametrize(
    ("group", "body", "message"),
    [
        pytest.param("Weather map", {"assetId": 0}, "not an asset group", id="not-a-group"),
        pytest.param("Morning Show package", {"assetId": "x"}, "is required", id="no-id"),
        pytest.param(
            "Morning Show package", {"assetId": 0, "index": 9}, "index must be", id="index"
        ),
        pytest.param("Morning Show package", {"assetId": -1}, "already a member", id="twice"),
        pytest.param("Morning Show package", {"assetId": -2}, "cannot be a member", id="itself"),
    ],
)
async def test_memberships_that_cannot_be(api: Api, group: str, body: Doc, message: str) -> None:
    target = await asset_named(api, group)
    reel = await asset_named(api, "Archive reel 1968")
    weather = await asset_named(api, "Weather map")
    chosen = {0: reel["id"], -1: weather["id"], -2: target["id"]}
    if isinstance(body["assetId"], int):
        body = {**body, "assetId": chosen[body["assetId"]]}
    reply = await api("POST", f"/api/assets/{target['id']}/members", json=body)
    assert reply.status == 400
    assert message in error(reply)


# --- collections -------------------------------------------------------------------------


async def test_collections_page_by_query_and_count_total_results(api: Api) -> None:
    body = await ok(api, "GET", "/api/collections?offset=1&limit=1")
    assert list(body) == ["collections", "totalResults"]
    assert body["totalResults"] == 2
    assert [c["name"] for c in body["collections"]] == ["Approved video"]  # the order made
    # Matrix paging and sorting are not the collections': the whole list, in its order.
    body = await ok(api, "GET", "/api/collections;offset=1;limit=1;sortBy=name;sort=desc")
    assert [c["name"] for c in body["collections"]] == ["Highlights", "Approved video"]
    highlights = body["collections"][0]
    assert str(uuid.UUID(highlights["id"])) == highlights["id"] == highlights["uuid"]
    assert "href" not in highlights
    assert {"created", "lastModified", "owner"}.isdisjoint(highlights)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", highlights["createdDate"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", highlights["modifiedDate"])
    assert isinstance(highlights["ownerId"], int)
    assert highlights["objectType"]["name"] == "collection"
    assert (await ok(api, "GET", f"/api/collections/{highlights['id']}")) == highlights


async def test_collection_items_are_typed_references_without_links(api: Api) -> None:
    listing = await ok(api, "GET", "/api/collections;type=static")
    path = f"/api/collections/{listing['collections'][0]['id']}"
    items = await ok(api, "GET", path + "/items?offset=1&limit=1")
    assert list(items) == ["items", "totalResults"]
    assert items["totalResults"] == 2
    (weather,) = items["items"]
    assert set(weather) == {"itemKey", "id", "uuid", "type", "createdDate"}
    assert isinstance(weather["itemKey"], str)
    assert weather["type"] == "image-asset"
    asset = await ok(api, "GET", f"/api/assets/{weather['id']}")
    assert (asset["name"], asset["uuid"]) == ("Weather map", weather["uuid"])

    reel = await asset_named(api, "Archive reel 1968")
    entry = {"id": reel["id"], "type": "media-asset", "itemName": "Reel"}
    added = await ok(api, "PUT", path + "/items", json={"items": [entry]})
    assert [(a["code"], a["item"]["id"], a["item"]["itemName"]) for a in added] == [
        (200, reel["id"], "Reel")
    ]
    assert (await ok(api, "GET", path + "/items"))["totalResults"] == 3
    for entry, status, message in (
        ({"id": reel["id"], "type": "asset"}, 400, "Invalid item type 'asset'"),
        ({"id": reel["id"]}, 400, "object type name"),
        ({"id": 999999, "type": "media-asset"}, 404, "Asset: 999999 not found."),
    ):
        reply = await api("PUT", path + "/items", json={"items": [entry]})
        assert reply.status == status
        assert message in error(reply)
    assert (await ok(api, "GET", path + "/items"))["totalResults"] == 3
    removed = await api("DELETE", path + "/items", json={"itemKeys": [added[0]["item"]["itemKey"]]})
    assert removed.status == 204
    assert (await ok(api, "GET", path + "/items"))["totalResults"] == 2


async def test_dynamic_collections_follow_their_query(api: Api) -> None:
    made = await ok(
        api, "POST", "/api/collections", 201, json={"name": "Audio", "fql": "fileAssetType = AUDIO"}
    )
    path = f"/api/collections/{made['id']}"
    items = (await ok(api, "GET", path + "/items"))["items"]
    assert [(i["type"], i["itemKey"]) for i in items] == [("media-asset", str(items[0]["id"]))]
    await ok(api, "POST", "/api/assets", 201, json={"name": "Jingle", "fileAssetType": "AUDIO"})
    assert (await ok(api, "GET", path + "/items"))["totalResults"] == 2
    reply = await api("PUT", path + "/items", json={"items": [{"id": 1, "type": "media-asset"}]})
    assert "dynamic" in error(reply)
    dynamic = await ok(api, "GET", "/api/collections;type=dynamic")
    assert sorted(c["name"] for c in dynamic["collections"]) == ["Approved video", "Audio"]
    bad = await api("POST", "/api/collections", json={"name": "Bad", "fql": "nonsense"})
    assert bad.status == 400
    assert (await api("DELETE", path)).status == 204
    assert (await api("GET", path)).status == 404


async def test_creates_answer_201_with_location(api: Api, sim: FlexSimulator) -> None:
    reply = await api("POST", "/api/collections", json={"name": "Promos"})
    assert reply.status == 201
    assert reply.headers["Location"] == f"{sim.url}/api/collections/{reply.json()['id']}"
    reply = await api("POST", "/api/assets", json={"name": "Promo"})
    assert reply.headers["Location"] == reply.json()["href"]
    reply = await api("POST", "/api/collections", json={"name": "X", "displayName": "Y"})
    assert reply.status == 400
    assert 'Unrecognized field "displayName"' in error(reply)


# --- accounts, events, event handlers, groups, files -------------------------------------


async def test_accounts_and_events(api: Api) -> None:
    accounts = await ok(api, "GET", "/api/accounts")
    assert [a["name"] for a in accounts["accounts"]] == ["Master Account", "News Account"]
    made = await ok(
        api,
        "POST",
        "/api/events",
        201,
        json={
            "eventType": "Ingest Finished",
            "eventData": {"files": 3},
        },
    )
    assert (made["eventData"], made["user"]["name"]) == ({"files": 3}, DEFAULT_USER)
    found = await ok(api, "GET", "/api/events;eventType=Ingest Finished")
    assert [e["id"] for e in found["events"]] == [made["id"]]
    upload = (await ok(api, "GET", "/api/events;eventType=Attachment Uploaded"))["events"][0]
    file_reply = await api("GET", URL(upload["eventData"]["file"]["href"]).path)
    assert file_reply.headers["Content-Type"] == "image/png"
    assert file_reply.body.startswith(b"\x89PNG")
    missing = await api("GET", "/api/files/none.png")
    assert missing.status == 404


async def test_event_handlers_delete_then_destroy(api: Api) -> None:
    handler = (await ok(api, "GET", "/api/eventHandlers"))["eventHandlers"][0]
    path = URL(handler["href"]).path
    assert (await api("DELETE", path)).status == 204
    assert (await ok(api, "GET", path))["deleted"] is True
    assert (await ok(api, "GET", "/api/eventHandlers"))["totalCount"] == 1
    assert (await api("POST", path + "/actions", json={"action": "destroy"})).status == 204
    assert (await api("GET", path)).status == 404


async def test_user_groups_take_the_whole_member_list(api: Api) -> None:
    groups = await ok(api, "GET", "/api/groups")
    editors = next(g for g in groups["groups"] if g["name"] == "Editors")
    path = URL(editors["href"]).path + "/members"
    names = [u["name"] for u in (await ok(api, "GET", path))["users"]]
    assert names == [DEFAULT_USER, "editor"]
    users = {u["name"]: u["id"] for u in (await ok(api, "GET", "/api/users"))["users"]}
    order = [users["reviewer"], users["editor"], users[DEFAULT_USER]]
    body = await ok(api, "PUT", path, json={"users": [{"id": i} for i in order]})
    assert [u["name"] for u in body["users"]] == ["reviewer", "editor", DEFAULT_USER]
    assert (await api("PUT", path, json={"users": [{"id": 999999}]})).status == 404
    assert (await api("PUT", path, json={"users": [{"id": order[0]}] * 2})).status == 400
