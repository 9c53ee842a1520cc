"""The Avalon simulator's collections and controlled vocabularies."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.support.avalon import (
    ADMIN,
    VIEWER,
    Call,
    SimFactory,
    links,
    send,
)

pytestmark = pytest.mark.asyncio

EDITOR_KEY = "e" * 128  # user editor@example.com, an editor of collection d791sg31t
EDITOR = {"Avalon-Api-Key": EDITOR_KEY}
WRONG_SHAPE = (
    "Update failed. Ensure that the new entry is in the proper form for the intended vocabulary."
)


async def test_collections_are_sorted_by_name_and_paginated(call: Call) -> None:
    reply = await call("GET", "/admin/collections.json")
    names = [c["name"] for c in reply.json()]
    assert names == ["100 sec test", "2882 mallorn", "7.0 testing", "Krishna_Ptest"]
    second = await call("GET", "/admin/collections.json?per_page=3&page=2")
    assert [c["name"] for c in second.json()] == ["Krishna_Ptest"]
    assert (second.headers["Total"], set(links(second))) == ("4", {"first", "prev"})


async def test_show_collection_counts_and_roles(call: Call) -> None:
    collection = (await call("GET", "/admin/collections/d791sg31t.json")).json()
    assert collection["object_count"] == {"total": 5, "published": 0, "unpublished": 5}
    assert collection["roles"]["editors"] == ["editor@example.com"]
    missing = await call("GET", "/admin/collections/nope12345.json")
    assert (missing.status, missing.json()) == (404, {"errors": ["nope12345 not found"]})


async def test_items_are_an_object_keyed_by_id(call: Call) -> None:
    reply = await call("GET", "/admin/collections/d791sg31t/items.json?per_page=2&page=2")
    items = reply.json()
    assert list(items) == ["mk61rh07c", "sx61dm430"]
    assert items["sx61dm430"]["title"] == "Luna r642"
    assert (reply.headers["Total"], set(links(reply))) == ("5", {"first", "prev", "last", "next"})


async def test_a_user_without_any_role_may_not_list_collections(call: Call) -> None:
    """``cannot :read, Admin::Collection`` without administrative access (ability.rb:105-107)."""
    reply = await call("GET", "/admin/collections.json", headers=VIEWER)
    assert (reply.status, reply.body) == (401, b"")
    assert reply.headers["Content-Type"] == "application/json"  # Rails' head on a JSON request


async def test_a_member_sees_only_collections_with_a_role(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(api_keys={EDITOR_KEY: "editor@example.com"}, admins=())
    reply = await send(http, sim, "GET", "/admin/collections.json", EDITOR)
    assert [c["id"] for c in reply.json()] == ["d791sg31t"]


async def test_editors_may_update_their_collection(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    """``can :update, Admin::Collection`` for editors and managers (ability.rb:118-120)."""
    sim = await make_sim(api_keys={EDITOR_KEY: "editor@example.com"}, admins=())
    body = {"admin_collection": {"description": "Reels"}}
    mine = await send(http, sim, "PUT", "/admin/collections/d791sg31t.json", EDITOR, json=body)
    other = await send(http, sim, "PUT", "/admin/collections/1r66j1149.json", EDITOR, json=body)
    assert (mine.status, other.status) == (200, 401)


async def test_create_collection_then_show_it(call: Call) -> None:
    body = {"admin_collection": {"name": "New Collection", "unit": "Default Unit"}}
    reply = await call("POST", "/admin/collections.json", json=body)
    assert reply.status == 200
    created = (await call("GET", f"/admin/collections/{reply.json()['id']}.json")).json()
    assert (created["name"], created["unit"]) == ("New Collection", "Default Unit")
    assert created["roles"]["managers"] == ["archivist"]


@pytest.mark.parametrize(
    ("params", "messages"),
    [
        pytest.param(
            {"name": "2882  Mallorn", "unit": "Default Unit"},
            ["Name has already been taken"],
            id="taken",
        ),
        pytest.param(
            {"name": "Fresh", "unit": "Nowhere"},
            ["Unit is not included in the list"],
            id="bad-unit",
        ),
        pytest.param({"unit": "Default Unit"}, ["Name can't be blank"], id="no-name"),
        pytest.param({"name": "Fresh"}, ["Unit can't be blank"], id="no-unit"),
        pytest.param(
            {"name": "Fresh", "unit": "Default Unit", "contact_email": "nobody"},
            ["Contact email is invalid"],
            id="bad-email",
        ),
    ],
)
async def test_create_collection_validation(
    call: Call, params: dict[str, str], messages: list[str]
) -> None:
    reply = await call("POST", "/admin/collections.json", json={"admin_collection": params})
    assert (reply.status, reply.json()) == (
        422,
        {"errors": ["Failed to create collection:", *messages]},
    )


async def test_update_collection(call: Call) -> None:
    path = "/admin/collections/1r66j1149.json"
    renamed = await call("PUT", path, json={"admin_collection": {"name": "Not So New"}})
    assert (renamed.status, renamed.json()) == (200, {"id": "1r66j1149"})
    assert (await call("GET", path)).json()["name"] == "Not So New"
    clash = await call("PUT", path, json={"admin_collection": {"name": "Krishna_Ptest"}})
    assert (clash.status, clash.json()) == (
        422,
        {"errors": ["Failed to update collection:", "Name has already been taken"]},
    )
    assert (await call("PUT", "/admin/collections/nope12345.json", json={})).status == 404


async def test_vocabulary_list_and_show(call: Call) -> None:
    everything = (await call("GET", "/vocabulary.json")).json()
    assert {"units", "identifier_types", "note_types", "rights_statements"} <= everything.keys()
    units = await call("GET", "/vocabulary/units.json")
    assert units.json() == ["Indiana University Libraries", "Default Unit"]


async def test_vocabulary_update_adds_a_unit_a_collection_can_then_use(call: Call) -> None:
    reply = await call("PUT", "/vocabulary/units.json", json={"entry": "IU Art Museum"})
    assert (reply.status, reply.body) == (200, b"")
    assert "IU Art Museum" in (await call("GET", "/vocabulary/units.json")).json()
    body = {"admin_collection": {"name": "Art", "unit": "IU Art Museum"}}
    assert (await call("POST", "/admin/collections.json", json=body)).status == 200


async def test_hash_vocabularies_take_an_object(call: Call) -> None:
    entry = {"isrc": "ISRC"}
    assert (
        await call("PUT", "/vocabulary/identifier_types.json", json={"entry": entry})
    ).status == 200
    assert (await call("GET", "/vocabulary/identifier_types.json")).json()["isrc"] == "ISRC"


@pytest.mark.parametrize(
    ("name", "body", "status", "messages"),
    [
        pytest.param("units", {}, 422, ["No update value sent"], id="missing-entry"),
        pytest.param("units", {"entry": " "}, 422, ["No update value sent"], id="blank-entry"),
        pytest.param("units", {"entry": {"a": "b"}}, 422, [WRONG_SHAPE], id="object-for-array"),
        pytest.param("note_types", {"entry": "x"}, 422, [WRONG_SHAPE], id="string-for-hash"),
        pytest.param("nope", {"entry": "x"}, 404, ["Vocabulary not found for nope"], id="unknown"),
    ],
)
async def test_vocabulary_update_errors(
    call: Call, name: str, body: Any, status: int, messages: list[str]
) -> None:
    reply = await call("PUT", f"/vocabulary/{name}.json", json=body)
    assert (reply.status, reply.json()) == (status, {"errors": messages})


async def test_a_list_vocabulary_takes_any_scalar(call: Call) -> None:
    """``@v[name] |= Array(params[:entry])`` (vocabulary_controller.rb:62)."""
    assert (await call("PUT", "/vocabulary/units.json", json={"entry": 7})).status == 200
    assert 7 in (await call("GET", "/vocabulary/units.json")).json()


@pytest.mark.parametrize("headers", [ADMIN, {"Avalon-Api-Key": "f" * 128}], ids=["key", "unknown"])
async def test_vocabulary_post_is_not_routed(call: Call, headers: dict[str, str]) -> None:
    """``resources :vocabulary, except: [:create, ...]`` (config/routes.rb:104): Rails answers
    the routing error itself, before Avalon looks at the token."""
    posted = await call("POST", "/vocabulary/units.json", headers=headers, json={"entry": "X"})
    assert (posted.status, posted.json()) == (404, {"status": 404, "error": "Not Found"})


async def test_vocabulary_post_can_be_turned_on(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(vocabulary_post=True)
    body = {"entry": "Elsewhere"}
    posted = await send(http, sim, "POST", "/vocabulary/units.json", ADMIN, json=body)
    assert posted.status == 200
