"""The Flex simulator's assets: hierarchy, metadata, annotations, keyframes, actions, updates."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from yarl import URL

from adapters.flex.simulator import DEFAULT_USER, MEDIA_TYPE, FlexSimulator
from tests.support.fixtures import StartSimulator
from tests.support.flex.direct import AUTH, Api, Doc, asset_named, error, ok
from tests.support.replies import fetch

XML_MEDIA = "application/vnd.nativ.mio.v1+xml"

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


async def test_metadata_is_json_and_takes_json_or_xml_in_flexs_media_types(api: Api) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    path = f"/api/assets/{news['id']}/metadata"
    body = await ok(api, "GET", path)
    assert body["definition"]["name"] == "programme"
    assert body["instance"]["metadata"]["keywords"] == {"keyword": ["news", "evening"]}
    xml = b'<metadata lang="en"><title>Late News</title><tag>a</tag><tag>b</tag><empty/></metadata>'
    put = await ok(api, "PUT", path, data=xml, headers={**AUTH, "Content-Type": XML_MEDIA})
    expected = {"metadata": {"@lang": "en", "title": "Late News", "tag": ["a", "b"], "empty": ""}}
    assert put["instance"] == expected
    assert (await ok(api, "GET", path))["instance"] == expected
    # The instance itself, as the Flex clients send it.
    await ok(api, "PUT", path, json={"title": "JSON", "keywords": ["a"]})
    assert (await ok(api, "GET", path))["instance"] == {"title": "JSON", "keywords": ["a"]}
    for plain in ("application/xml", "text/xml", "application/json"):
        reply = await api("PUT", path, data=xml, headers={**AUTH, "Content-Type": plain})
        assert reply.status == 415
    assert (await ok(api, "GET", path))["instance"] == {"title": "JSON", "keywords": ["a"]}


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
    reply = await api("PUT", path, data=body, headers={**AUTH, "Content-Type": XML_MEDIA})
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
    assert await ok(api, "GET", path) == [
        {"action": "delete", "options": {}},
        {"action": "disable", "options": {}},
        {"action": "unapprove", "options": {}},
        {"action": "destroy", "options": {}},
    ]
    # Refused in a 200 answer carrying errors, as Flex refuses an action.
    for action, message in (
        ("approve", f"Cannot approve asset {reel['id']}: it is already approved"),
        ("enable", "it is already enabled"),
    ):
        reply = await api("POST", path, json={"action": action})
        assert reply.status == 200
        assert message in error(reply)
    reply = await api("POST", path, json={"action": "publish"})
    assert reply.status == 400
    assert "Unsupported action type 'publish'" in error(reply)
    assert (await ok(api, "POST", path, json={"action": "unapprove"}))["approved"] is False
    assert (await ok(api, "POST", path, json={"action": "disable"}))["enabled"] is False
    assert (await ok(api, "POST", path, json={"action": "delete"}))["deleted"] is True
    assert [a["action"] for a in await ok(api, "GET", path)] == ["destroy"]
    reply = await api("POST", path, json={"action": "enable"})
    assert "it is deleted" in error(reply)
    assert (await api("POST", path, json={"action": "destroy"})).status == 204
    assert (await api("GET", f"/api/assets/{reel['id']}")).status == 404
    events = await ok(api, "GET", "/api/events;eventType=Asset Destroy")
    assert events["totalCount"] == 1


async def test_destroy_needs_no_delete_first_and_placeholders_are_not_approved(
    api: Api,
) -> None:
    made = await ok(api, "POST", "/api/assets", 201, json={"name": "Placeholder"})
    path = f"/api/assets/{made['id']}/actions"
    reply = await api("POST", path, json={"action": "approve"})
    assert reply.status == 200
    assert error(reply) == f"Cannot approve asset {made['id']}: it has no file yet"
    assert (await api("POST", path, json={"action": "destroy"})).status == 204
    assert (await api("GET", f"/api/assets/{made['id']}")).status == 404


async def test_refusals_can_be_400s(
    start_simulator: StartSimulator[FlexSimulator], http: aiohttp.ClientSession
) -> None:
    sim = await start_simulator(FlexSimulator(refusal_status=400))
    found = await fetch(http, "GET", sim.url + "/api/assets;name=Archive reel", headers=AUTH)
    reel = found.json()["assets"][0]
    reply = await fetch(
        http,
        "POST",
        f"{sim.url}/api/assets/{reel['id']}/actions",
        data=json.dumps({"action": "approve"}),
        headers={**AUTH, "Content-Type": MEDIA_TYPE},
    )
    assert reply.status == 400
    assert "it is already approved" in error(reply)


@pytest.mark.parametrize(
    ("plural", "first", "allowed"),
    [
        pytest.param("eventHandlers", "delete", ["delete", "destroy"], id="event-handlers"),
        pytest.param("groups", "disable", ["delete", "disable", "destroy"], id="groups"),
        pytest.param("actions", "disable", ["delete", "disable", "destroy"], id="actions"),
    ],
)
async def test_other_objects_have_their_own_actions(
    api: Api, plural: str, first: str, allowed: list[str]
) -> None:
    target = (await ok(api, "GET", f"/api/{plural};limit=1"))[plural][0]
    path = f"/api/{plural}/{target['id']}/actions"
    assert [a["action"] for a in await ok(api, "GET", path)] == allowed
    assert (await api("POST", path, json={"action": "approve"})).status == 400
    await ok(api, "POST", path, json={"action": first})


async def _first_keyframe(api: Api) -> str:
    news = await asset_named(api, "Evening News 2024-01-29")
    listed = await ok(api, "GET", f"/api/assets/{news['id']}/keyframes")
    return str(URL(listed["keyframes"][0]["href"]).path)


async def _first_collection(api: Api) -> str:
    listing = await ok(api, "GET", "/api/collections;type=static")
    return f"/api/collections/{listing['collections'][0]['id']}"


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
