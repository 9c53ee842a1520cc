"""The Flex simulator's group members, collections, accounts, events, handlers and user groups."""

from __future__ import annotations

import uuid

import pytest
from yarl import URL

from adapters.flex.simulator import DEFAULT_USER
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


async def test_collections_have_uuid_ids_and_query_paged_items(api: Api) -> None:
    listing = await ok(api, "GET", "/api/collections;type=static")
    highlights = listing["collections"][0]
    assert str(uuid.UUID(highlights["id"])) == highlights["id"] == highlights["uuid"]
    path = URL(highlights["href"]).path
    assert path == f"/api/collections/{highlights['id']}"
    items = await ok(api, "GET", path + "/items?offset=1&limit=1")
    assert set(items) == {"items", "totalResults"}
    assert items["totalResults"] == 2
    assert [i["name"] for i in items["items"]] == ["Weather map"]
    reel = await asset_named(api, "Archive reel 1968")
    added = await ok(
        api, "PUT", path + "/items", json={"items": [{"id": reel["id"], "type": "asset"}]}
    )
    assert added[0]["code"] == 200
    assert (await ok(api, "GET", path + "/items"))["totalResults"] == 3
    reply = await api("PUT", path + "/items", json={"items": [{"id": 999999}]})
    assert reply.status == 404


async def test_dynamic_collections_follow_their_query(api: Api) -> None:
    made = await ok(
        api,
        "POST",
        "/api/collections",
        201,
        json={
            "name": "Audio",
            "fql": "fileAssetType = AUDIO",
        },
    )
    path = URL(made["href"]).path
    assert [i["name"] for i in (await ok(api, "GET", path + "/items"))["items"]] == [
        "Archive reel 1968"
    ]
    await ok(api, "POST", "/api/assets", 201, json={"name": "Jingle", "fileAssetType": "AUDIO"})
    assert (await ok(api, "GET", path + "/items"))["totalResults"] == 2
    reply = await api("PUT", path + "/items", json={"items": [{"id": 1}]})
    assert "dynamic" in error(reply)
    dynamic = await ok(api, "GET", "/api/collections;type=dynamic")
    assert sorted(c["name"] for c in dynamic["collections"]) == ["Approved video", "Audio"]
    bad = await api("POST", "/api/collections", json={"name": "Bad", "fql": "nonsense"})
    assert bad.status == 400
    assert (await api("DELETE", path)).status == 204
    assert (await api("GET", path)).status == 404


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
