"""The Flex simulator over real sockets: its documented contract, resource by resource."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from yarl import URL

from adapters.flex.simulator import DEFAULT_PASSWORD, DEFAULT_USER, MEDIA_TYPE, FlexSimulator
from tests.support.fixtures import StartSimulator
from tests.support.replies import Reply, fetch

AUTH = {"Authorization": aiohttp.encode_basic_auth(DEFAULT_USER, DEFAULT_PASSWORD)}
Doc = dict[str, Any]


Api = Callable[..., Awaitable[Reply]]


@pytest.fixture
async def sim(start_simulator: StartSimulator[FlexSimulator]) -> FlexSimulator:
    return await start_simulator(FlexSimulator(extra_assets=250))


@pytest.fixture
def api(sim: FlexSimulator, http: aiohttp.ClientSession) -> Api:
    """``await api(method, path, headers=AUTH, **options)`` against the simulator."""

    async def call(
        method: str, path: str | URL, headers: dict[str, str] | None = None, **kw: Any
    ) -> Reply:
        url = path if isinstance(path, URL) else sim.url + path
        kw.setdefault("allow_redirects", True)
        return await fetch(http, method, url, headers=AUTH if headers is None else headers, **kw)

    return call


async def ok(api: Api, method: str, path: str | URL, status: int = 200, **kw: Any) -> Any:
    reply = await api(method, path, **kw)
    assert reply.status == status, reply.body
    return reply.json() if reply.body else None


async def asset_named(api: Api, name: str) -> Doc:
    body = await ok(api, "GET", f"/api/assets;name={name};exactNameMatch=true;deleted=false")
    assert body["totalCount"] == 1, body
    return dict(body["assets"][0])


def error(reply: Reply) -> str:
    body = reply.json()
    assert set(body) == {"errors"}
    assert set(body["errors"]) == {"error"}
    return str(body["errors"]["error"])


# --- authentication and error shapes --------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param({}, "Authentication required", id="none"),
        pytest.param(
            {"Authorization": aiohttp.encode_basic_auth(DEFAULT_USER, "wrong")},
            "Invalid username or password",
            id="wrong-password",
        ),
        pytest.param(
            {"Authorization": aiohttp.encode_basic_auth("nobody", DEFAULT_PASSWORD)},
            "Invalid username or password",
            id="unknown-user",
        ),
        pytest.param({"Authorization": "Basic !!!"}, "Malformed Basic credentials", id="garbled"),
        pytest.param({"Authorization": "Bearer x"}, "Unsupported", id="bearer"),
    ],
)
async def test_requests_without_valid_basic_credentials_are_401(
    api: Api, headers: dict[str, str], message: str
) -> None:
    for path in ("/api", "/api/assets", "/api/assets/1/metadata", "/api/no/such/thing"):
        reply = await api("GET", path, headers=headers)
        assert reply.status == 401
        assert reply.headers["WWW-Authenticate"] == 'Basic realm="Flex"'
        assert reply.headers["Content-Type"].startswith(MEDIA_TYPE)
        assert message in error(reply)


async def test_the_configured_users_are_the_ones_accepted() -> None:
    sim = FlexSimulator(users={"ops": "s3cret"})
    await sim.start()
    try:
        async with aiohttp.ClientSession() as session:
            for user, password, status in (
                ("ops", "s3cret", 200),
                (DEFAULT_USER, DEFAULT_PASSWORD, 401),
            ):
                headers = {"Authorization": aiohttp.encode_basic_auth(user, password)}
                async with session.get(sim.url + "/api", headers=headers) as resp:
                    assert resp.status == status
    finally:
        await sim.close()


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        pytest.param(
            "GET", "/api/assets/999999", 404, "Asset with id 999999 not found", id="asset"
        ),
        pytest.param(
            "GET", "/api/assets/abc", 404, "Asset with id abc not found", id="not-a-number"
        ),
        pytest.param("GET", "/api/nothing", 404, "No resource found", id="no-route"),
        pytest.param("DELETE", "/api/assets", 405, "not supported", id="method"),
        pytest.param(
            "GET", "/api/assets;limit=ten", 400, "Invalid value 'ten' for limit", id="limit"
        ),
        pytest.param("GET", "/api/assets;offset=-1", 400, "for offset", id="offset"),
        pytest.param("GET", "/api/assets;sortBy=size", 400, "Invalid sortBy", id="sort-by"),
        pytest.param("GET", "/api/assets;sort=up", 400, "Invalid sort", id="sort"),
        pytest.param("GET", "/api/assets;enabled=maybe", 400, "true or false", id="flag"),
        pytest.param("GET", "/api/assets;fql=name", 400, "Invalid FQL", id="fql"),
        pytest.param("GET", "/api/assets;fql=colour=red", 400, "unknown field", id="fql-field"),
        pytest.param("POST", "/api/assets", 400, "not valid JSON", id="broken-json"),
    ],
)
async def test_errors_have_flex_shape(
    api: Api, method: str, path: str, status: int, message: str
) -> None:
    reply = await api(method, path, data=b"{oops")
    assert reply.status == status
    assert reply.headers["Content-Type"].startswith(MEDIA_TYPE)
    assert message in error(reply)


async def test_injected_failures_use_the_error_shape() -> None:
    sim = FlexSimulator(fail_status=500)
    await sim.start()
    try:
        async with aiohttp.ClientSession() as session, session.get(sim.url + "/api/assets") as resp:
            assert resp.status == 500
            assert await resp.json(content_type=None) == {
                "errors": {"error": "Simulated failure 500"}
            }
    finally:
        await sim.close()


# --- lists: matrix paging and filters ---------------------------------------------------


async def test_lists_page_with_matrix_offset_and_limit(api: Api) -> None:
    seen: list[int] = []
    offset = 0
    while True:
        body = await ok(api, "GET", f"/api/assets;offset={offset};limit=100;name=Clip")
        assert set(body) == {"totalCount", "limit", "assets"}
        assert (body["totalCount"], body["limit"]) == (250, 100)
        seen += [a["id"] for a in body["assets"]]
        offset += body["limit"]
        if offset >= body["totalCount"]:
            break
    assert len(seen) == len(set(seen)) == 250
    assert seen == sorted(seen)


@pytest.mark.parametrize(
    ("matrix", "count", "limit"),
    [
        pytest.param("", 100, 100, id="default-limit"),
        pytest.param(";limit=500", 100, 100, id="limit-cut-to-100"),
        pytest.param(";limit=7", 7, 7, id="small-limit"),
        pytest.param(";offset=250;limit=50", 7, 50, id="tail"),
        pytest.param(";offset=900", 0, 100, id="beyond-the-end"),
    ],
)
async def test_limit_defaults_to_100_and_never_exceeds_it(
    api: Api, matrix: str, count: int, limit: int
) -> None:
    body = await ok(api, "GET", "/api/assets" + matrix)
    assert (len(body["assets"]), body["limit"], body["totalCount"]) == (count, limit, 257)


@pytest.mark.parametrize(
    ("matrix", "names"),
    [
        pytest.param(
            ";name=evening NEWS",
            ["Evening News 2024-01-29", "Evening News 2024-01-29 (proxy)"],
            id="part-of-name",
        ),
        pytest.param(
            ";name=Evening News 2024-01-29;exactNameMatch=true",
            ["Evening News 2024-01-29"],
            id="exact",
        ),
        pytest.param(";enabled=false", ["Interview raw footage"], id="disabled"),
        pytest.param(";deleted=true", ["Press release"], id="deleted"),
        pytest.param(
            ";fql=approved = true AND fileAssetType = AUDIO", ["Archive reel 1968"], id="fql"
        ),
        pytest.param(';fql=name ~ "show"', ["Morning Show package"], id="fql-contains"),
        pytest.param(
            ";fql=fileAssetType != VIDEO", ["Weather map", "Archive reel 1968"], id="fql-not"
        ),
        pytest.param(
            ";externalId=house-id:EN-20240129", ["Evening News 2024-01-29"], id="external-id"
        ),
        pytest.param(
            ";name=a;sortBy=name;sort=desc;limit=3",
            ["Weather map", "Morning Show package", "Interview raw footage"],
            id="sorted",
        ),
        pytest.param(";createdTo=28 Jan 2024", [], id="created-before-seed"),
    ],
)
async def test_matrix_filters(api: Api, matrix: str, names: list[str]) -> None:
    body = await ok(api, "GET", "/api/assets" + matrix)
    assert [a["name"] for a in body["assets"]] == names


async def test_several_ids_at_once_and_encoded_separators(api: Api, sim: FlexSimulator) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    reel = await asset_named(api, "Archive reel 1968")
    body = await ok(api, "GET", f"/api/assets;id={reel['id']};id={news['id']}")
    assert [a["name"] for a in body["assets"]] == [news["name"], reel["name"]]
    # An encoded ';' is part of the value, not a separator.
    url = URL(sim.url + "/api/assets;name=News%3Bx;limit=5", encoded=True)
    assert (await ok(api, "GET", url))["totalCount"] == 0
    url = URL(sim.url + "/api/assets;name=Evening%20News;limit=5", encoded=True)
    assert (await ok(api, "GET", url))["totalCount"] == 2


@pytest.mark.parametrize(
    "plural",
    [
        "assets",
        "collections",
        "accounts",
        "users",
        "actions",
        "events",
        "eventHandlers",
        "groups",
        "objectTypes",
    ],
)
async def test_every_list_has_the_list_body(api: Api, sim: FlexSimulator, plural: str) -> None:
    body = await ok(api, "GET", f"/api/{plural};limit=2")
    assert set(body) == {"totalCount", "limit", plural}
    assert body["limit"] == 2
    assert 0 < len(body[plural]) <= 2
    one = body[plural][0]
    assert one["href"].startswith(sim.url + "/api/")
    assert await ok(api, "GET", URL(one["href"]).path) == one


async def test_objects_have_the_common_fields(api: Api, sim: FlexSimulator) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    common = {
        "id",
        "uuid",
        "name",
        "displayName",
        "description",
        "externalIds",
        "enabled",
        "deleted",
        "href",
        "created",
        "lastModified",
        "owner",
        "createdBy",
        "account",
        "visibility",
        "objectType",
    }
    for_assets = {
        "size",
        "fileAssetType",
        "variant",
        "isGroup",
        "approved",
        "fileInformation",
        "parent",
        "assetContext",
        "published",
        "archived",
        "locked",
    }
    assert common | for_assets <= set(news)
    assert news["href"] == f"{sim.url}/api/assets/{news['id']}"
    assert set(news["objectType"]) == {"id", "name", "href", "displayName", "pluralName"}
    assert news["objectType"]["name"] == "media-asset"
    assert news["externalIds"] == [{"key": "house-id", "value": "EN-20240129"}]
    assert news["owner"]["name"] == DEFAULT_USER
    assert news["created"].endswith(" +0000")
    assert len(news["created"].split()) == 5
    assert (await ok(api, "GET", URL(news["objectType"]["href"]).path))["name"] == "media-asset"


# --- assets ------------------------------------------------------------------------------


async def test_placeholder_assets_are_created_and_updated(api: Api) -> None:
    created = await ok(
        api,
        "POST",
        "/api/assets",
        201,
        json={"name": "Placeholder", "fileAssetType": "IMAGE", "description": "to come"},
    )
    assert (created["size"], created["fileInformation"], created["approved"]) == (0, None, False)
    assert created["objectType"]["name"] == "image-asset"
    path = URL(created["href"]).path
    updated = await ok(api, "PUT", path, json={"displayName": "Shown", "size": 99})
    assert (updated["displayName"], updated["size"]) == ("Shown", 0)
    assert (await ok(api, "GET", path))["displayName"] == "Shown"
    history = await ok(api, "GET", path + "/history")
    assert [e["eventType"] for e in history["events"]] == ["Asset Created", "Asset Updated"]
    for body in ({}, {"name": "x", "fileAssetType": "HOLOGRAM"}, {"name": "x", "isGroup": "yes"}):
        reply = await api("POST", "/api/assets", json=body)
        assert reply.status == 400
        assert error(reply)


async def test_file_hierarchy_and_references(api: Api) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    proxy = await asset_named(api, "Evening News 2024-01-29 (proxy)")
    children = await ok(api, "GET", f"/api/assets/{news['id']}/children")
    assert [c["id"] for c in children["assets"]] == [proxy["id"]]
    assert proxy["parent"]["id"] == news["id"]
    assert (await ok(api, "GET", f"/api/assets/{proxy['id']}/parent"))["id"] == news["id"]
    assert (await api("GET", f"/api/assets/{news['id']}/parent")).status == 404
    refs = await ok(api, "GET", f"/api/assets/{news['id']}/references")
    assert sorted(r["name"] for r in refs["references"]) == ["Highlights", "Morning Show package"]


# --- metadata ----------------------------------------------------------------------------


async def test_metadata_is_json_and_takes_xml_or_json(api: Api) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    path = f"/api/assets/{news['id']}/metadata"
    body = await ok(api, "GET", path)
    assert body["definition"]["name"] == "programme"
    assert body["instance"]["metadata"]["keywords"] == {"keyword": ["news", "evening"]}
    xml = b'<metadata lang="en"><title>Late News</title><tag>a</tag><tag>b</tag><empty/></metadata>'
    put = await ok(api, "PUT", path, data=xml, headers={**AUTH, "Content-Type": "application/xml"})
    expected = {"metadata": {"@lang": "en", "title": "Late News", "tag": ["a", "b"], "empty": ""}}
    assert put["instance"] == expected
    assert (await ok(api, "GET", path))["instance"] == expected
    await ok(api, "PUT", path, json={"instance": {"metadata": {"title": "JSON"}}})
    assert (await ok(api, "GET", path))["instance"] == {"metadata": {"title": "JSON"}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"<metadata><title>x</metadata>", "Invalid metadata XML", id="broken"),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<metadata>&b;</metadata>",
            "document type declaration",
            id="entities",
        ),
        pytest.param(
            b'<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><metadata>&x;</metadata>',
            "document type declaration",
            id="external-entity",
        ),
    ],
)
async def test_refused_metadata_xml_changes_nothing(api: Api, body: bytes, message: str) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    path = f"/api/assets/{news['id']}/metadata"
    before = await ok(api, "GET", path)
    reply = await api("PUT", path, data=body, headers={**AUTH, "Content-Type": "text/xml"})
    assert reply.status == 400
    assert message in error(reply)
    assert await ok(api, "GET", path) == before


# --- annotations, keyframes, comments, external ids --------------------------------------


async def test_annotations_one_or_many(api: Api) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    path = f"/api/assets/{news['id']}/annotations"
    one = await ok(api, "POST", path, 201, json={"content": "Logo", "in": 10, "out": 20})
    assert (one["originatorContext"], one["in"], one["out"]) == ("", 10, 20)
    many = await ok(
        api,
        "POST",
        path,
        201,
        json=[
            {"content": "A", "originatorContext": "MioAssetReview", "in": 1},
            {"content": "B", "originatorContext": "QCReport", "in": 5, "out": 9},
        ],
    )
    assert [a["content"] for a in many] == ["A", "B"]
    bad = [{"content": "C"}, {"content": "D", "originatorContext": "Other"}]
    reply = await api("POST", path, json=bad)
    assert reply.status == 400
    assert "originatorContext" in error(reply)
    listed = await ok(api, "GET", path)
    assert [a["content"] for a in listed["annotations"]] == [
        "Audio drops for two seconds",
        "Logo",
        "A",
        "B",
    ]
    changed = await ok(api, "PUT", URL(one["href"]).path, json={"content": "Logo top left"})
    assert changed["content"] == "Logo top left"
    assert (await api("PUT", URL(one["href"]).path, json={"in": 30})).status == 400
    assert (await api("DELETE", URL(one["href"]).path)).status == 204
    assert (await ok(api, "GET", path))["totalCount"] == 3


async def test_keyframes_and_their_images(api: Api) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    path = f"/api/assets/{news['id']}/keyframes"
    made = await ok(api, "POST", path, 201, json={"timecode": "00:01:00:05"})
    assert (made["frame"], made["timecode"]) == (1505, "00:01:00:05")
    listed = await ok(api, "GET", path)
    assert [k["frame"] for k in listed["keyframes"]] == [250, 1505, 4500]
    image = await api("GET", URL(made["image"]["href"]).path)
    assert image.headers["Content-Type"] == "image/png"
    assert image.body.startswith(b"\x89PNG\r\n\x1a\n")
    moved = await ok(api, "PUT", URL(made["href"]).path, json={"frame": 26, "name": "Title"})
    assert (moved["timecode"], moved["name"]) == ("00:00:01:01", "Title")
    assert (await api("DELETE", URL(made["href"]).path)).status == 204
    assert (await api("GET", URL(made["href"]).path)).status == 404
    weather = await asset_named(api, "Weather map")
    reply = await api("POST", f"/api/assets/{weather['id']}/keyframes", json={"frame": 1})
    assert reply.status == 400
    assert "not a video" in error(reply)


async def test_comments_and_external_ids(api: Api) -> None:
    reel = await asset_named(api, "Archive reel 1968")
    base = f"/api/assets/{reel['id']}"
    made = await ok(api, "POST", base + "/comments", 201, json={"comment": "Digitised"})
    assert made["createdBy"]["name"] == DEFAULT_USER
    assert (await ok(api, "GET", URL(made["href"]).path))["comment"] == "Digitised"
    assert (await ok(api, "GET", base + "/comments"))["totalCount"] == 1
    await ok(api, "POST", base + "/externalIds", 201, json={"key": "tape", "value": "T-1"})
    assert (
        await api("POST", base + "/externalIds", json={"key": "tape", "value": "2"})
    ).status == 400
    assert (await ok(api, "GET", base))["externalIds"] == [{"key": "tape", "value": "T-1"}]


# --- actions -----------------------------------------------------------------------------


async def test_actions_follow_the_state_rules(api: Api) -> None:
    reel = await asset_named(api, "Archive reel 1968")
    path = f"/api/assets/{reel['id']}/actions"
    available = await ok(api, "GET", path)
    assert [a["name"] for a in available["actions"]] == ["disable", "unapprove", "delete"]
    for action, message in (
        ("approve", f"Cannot approve asset {reel['id']}: it is already approved"),
        ("enable", "it is already enabled"),
        ("destroy", "it is not deleted; delete it first"),
        ("publish", "Unsupported action type 'publish'"),
    ):
        reply = await api("POST", path, json={"action": action})
        assert reply.status == 400
        assert message in error(reply)
    assert (await ok(api, "POST", path, json={"action": "unapprove"}))["approved"] is False
    assert (await ok(api, "POST", path, json={"action": "disable"}))["enabled"] is False
    assert (await ok(api, "POST", path, json={"action": "delete"}))["deleted"] is True
    assert [a["name"] for a in (await ok(api, "GET", path))["actions"]] == ["destroy"]
    reply = await api("POST", path, json={"action": "enable"})
    assert "it is deleted" in error(reply)
    assert (await api("POST", path, json={"action": "destroy"})).status == 204
    assert (await api("GET", f"/api/assets/{reel['id']}")).status == 404
    events = await ok(api, "GET", "/api/events;eventType=Asset Destroy")
    assert events["totalCount"] == 1


@pytest.mark.parametrize(
    ("plural", "first", "allowed"),
    [
        pytest.param("eventHandlers", "delete", ["delete"], id="event-handlers"),
        pytest.param("groups", "disable", ["disable", "delete"], id="groups"),
        pytest.param("actions", "disable", ["disable", "delete"], id="actions"),
    ],
)
async def test_other_objects_have_their_own_actions(
    api: Api, plural: str, first: str, allowed: list[str]
) -> None:
    target = (await ok(api, "GET", f"/api/{plural};limit=1"))[plural][0]
    path = f"/api/{plural}/{target['id']}/actions"
    assert [a["name"] for a in (await ok(api, "GET", path))["actions"]] == allowed
    assert (await api("POST", path, json={"action": "approve"})).status == 400
    await ok(api, "POST", path, json={"action": first})


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


# --- instances and the command line --------------------------------------------------------


async def test_simulators_do_not_share_state(api: Api) -> None:
    await ok(api, "POST", "/api/assets", 201, json={"name": "Only here"})
    other = FlexSimulator()
    await other.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = other.url + "/api/assets;name=Only here"
            async with session.get(url, headers=AUTH) as resp:
                assert (await resp.json(content_type=None))["totalCount"] == 0
    finally:
        await other.close()


def test_arguments_configure_users_assets_and_latency() -> None:
    parser = argparse.ArgumentParser()
    FlexSimulator.add_arguments(parser)
    args = parser.parse_args(["--user", "a=b", "--user", "c=d=e", "--extra-assets", "3"])
    sim = FlexSimulator.from_arguments(args)
    assert sim.config.users == {"a": "b", "c": "d=e"}
    assert (sim.extra_assets, sim.latency_s) == (3, 0.0)
    defaults = FlexSimulator.from_arguments(parser.parse_args(["--latency", "0.5"]))
    assert defaults.config.users == {DEFAULT_USER: DEFAULT_PASSWORD}
    assert defaults.latency_s == 0.5


def test_hal_gateway_simulate_flex_serves_on_an_ephemeral_port() -> None:
    command = [sys.executable, "-m", "gateway", "simulate", "flex", "--port", "0"]
    proc = subprocess.Popen(
        [*command, "--user", "ops=pw", "--extra-assets", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the simulator says where it listens
        assert "flex simulator serving on http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[1].strip() + "/api/assets;name=Clip;limit=2"
        good = {"Authorization": aiohttp.encode_basic_auth("ops", "pw")}
        with urllib.request.urlopen(urllib.request.Request(url, headers=good), timeout=10) as resp:
            assert resp.headers["Content-Type"].startswith(MEDIA_TYPE)
            body = json.load(resp)
            assert (body["totalCount"], len(body["assets"])) == (3, 2)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401
        refused.value.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


async def _first_keyframe(api: Api) -> str:
    news = await asset_named(api, "Evening News 2024-01-29")
    listed = await ok(api, "GET", f"/api/assets/{news['id']}/keyframes")
    return str(URL(listed["keyframes"][0]["href"]).path)


async def _first_collection(api: Api) -> str:
    listing = await ok(api, "GET", "/api/collections;type=static")
    return str(URL(listing["collections"][0]["href"]).path)


async def _news(api: Api) -> str:
    return str(URL((await asset_named(api, "Evening News 2024-01-29"))["href"]).path)


@pytest.mark.parametrize(
    ("find", "body"),
    [
        pytest.param(_news, {"name": "Renamed", "displayName": 5}, id="asset"),
        pytest.param(_first_keyframe, {"frame": 26, "name": ""}, id="keyframe"),
        pytest.param(_first_collection, {"name": "Renamed", "description": 5}, id="collection"),
    ],
)
async def test_a_refused_update_changes_nothing(
    api: Api, find: Callable[[Api], Awaitable[str]], body: Doc
) -> None:
    path = await find(api)
    before = await ok(api, "GET", path)
    reply = await api("PUT", path, json=body)
    assert reply.status == 400
    assert await ok(api, "GET", path) == before
