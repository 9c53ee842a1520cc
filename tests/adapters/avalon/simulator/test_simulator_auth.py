"""The Avalon simulator's authentication: tokens, per-user keys, roles, visibility."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY
from tests.support.avalon import (
    ADMIN,
    ANONYMOUS,
    VIEWER,
    Call,
    SimFactory,
    media_object_body,
    send,
)

pytestmark = pytest.mark.asyncio


UNKNOWN = {"Avalon-Api-Key": "f" * 128}


EDITOR_KEY = "e" * 128  # user editor@example.com, an editor of collection d791sg31t


ENDPOINTS = [
    pytest.param("GET", "/media_objects.json", id="list-media-objects"),
    pytest.param("GET", "/media_objects/1g05fb83r.json", id="show-media-object"),
    pytest.param("GET", "/media_objects/unknown1.json", id="show-unknown-object"),
    pytest.param("POST", "/media_objects.json", id="create-media-object"),
    pytest.param("PUT", "/media_objects/1g05fb83r.json", id="update-media-object"),
    pytest.param("DELETE", "/media_objects/1g05fb83r.json", id="delete-media-object"),
    pytest.param("GET", "/admin/collections.json", id="list-collections"),
    pytest.param("GET", "/admin/collections/d791sg31t/items.json", id="collection-items"),
    pytest.param("POST", "/admin/collections.json", id="create-collection"),
    pytest.param("GET", "/vocabulary.json", id="vocabulary"),
    pytest.param("PUT", "/vocabulary/units.json", id="update-vocabulary"),
    pytest.param(
        "POST", "/master_files/1c18df984/supplemental_files.json", id="create-supplemental"
    ),
    pytest.param(
        "DELETE", "/master_files/ns064602j/supplemental_files/131.json", id="delete-supplemental"
    ),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_an_unknown_token_is_403_before_any_other_check(
    call: Call, method: str, path: str
) -> None:
    reply = await call(method, path, headers=UNKNOWN, json={})
    assert (reply.status, reply.json()) == (403, {"errors": ["Permission denied."]})


@pytest.mark.parametrize(
    ("method", "path"),
    [p for p in ENDPOINTS if p.id not in {"show-media-object", "show-unknown-object"}],
)
async def test_no_token_is_401_with_an_empty_body(call: Call, method: str, path: str) -> None:
    """``head :unauthorized`` on a JSON request (application_controller.rb:214-222)."""
    reply = await call(method, path, headers=ANONYMOUS, json={})
    assert (reply.status, reply.body) == (401, b"")
    assert reply.headers["Content-Type"] == "application/json"


async def test_a_refusal_without_json_is_the_restricted_page(call: Call) -> None:
    """Not a JSON request: Rails renders errors/restricted_pid with 401."""
    reply = await call("GET", "/media_objects/1g05fb83r/supplemental_files/131", headers=VIEWER)
    assert (reply.status, reply.headers["Content-Type"]) == (401, "text/html; charset=utf-8")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", "/vocabulary.json", None, id="vocabulary"),
        pytest.param("PUT", "/vocabulary/units.json", {"entry": "X"}, id="update-vocabulary"),
        pytest.param("GET", "/media_objects/1g05fb83r.json", None, id="private-object"),
        pytest.param("PUT", "/media_objects/gt54kn04s.json", {}, id="update-readable-object"),
        pytest.param("POST", "/media_objects.json", media_object_body(), id="create-object"),
        pytest.param("GET", "/admin/collections/d791sg31t.json", None, id="collection"),
        pytest.param("POST", "/admin/collections.json", {}, id="create-collection"),
        pytest.param(
            "GET", "/master_files/1c18df984/supplemental_files.json", None, id="private-files"
        ),
    ],
)
async def test_a_user_without_the_right_gets_401_with_an_empty_body(
    call: Call, method: str, path: str, body: Any
) -> None:
    reply = await call(method, path, headers=VIEWER, json=body)
    assert (reply.status, reply.body) == (401, b"")


@pytest.mark.parametrize(
    ("headers", "object_id", "status"),
    [
        pytest.param(ANONYMOUS, "gt54kn04s", 200, id="anonymous-public"),
        pytest.param(ANONYMOUS, "hq37vn59b", 401, id="anonymous-restricted"),
        pytest.param(VIEWER, "hq37vn59b", 200, id="viewer-restricted"),
        pytest.param(VIEWER, "mk61rh07c", 401, id="viewer-unpublished"),
    ],
)
async def test_published_objects_are_readable_by_visibility(
    call: Call, headers: dict[str, str], object_id: str, status: int
) -> None:
    assert (await call("GET", f"/media_objects/{object_id}.json", headers=headers)).status == status


async def test_show_hides_files_visibility_and_read_groups_from_non_editors(call: Call) -> None:
    """Only ``show`` drops them (media_objects_controller.rb:339); the list, built from
    ``as_json`` alone (:325), keeps them for every reader."""
    as_viewer = (await call("GET", "/media_objects/gt54kn04s.json", headers=VIEWER)).json()
    as_admin = (await call("GET", "/media_objects/gt54kn04s.json")).json()
    hidden = {"files", "visibility", "read_groups"}
    assert hidden <= as_admin.keys()
    assert as_admin.keys() - as_viewer.keys() == hidden
    listed = (await call("GET", "/media_objects.json", headers=VIEWER)).json()
    assert [mo["id"] for mo in listed] == ["gt54kn04s", "hq37vn59b"]
    assert all(hidden <= mo.keys() for mo in listed)


async def test_an_editor_may_not_edit_a_published_object_of_another_manager(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    """``cannot :update`` (and :destroy) a published object unless a manager of its
    collection (ability.rb:172-181): show then hides its files too."""
    keys = {EDITOR_KEY: "editor@example.com", DEFAULT_ADMIN_KEY: "archivist"}
    sim = await make_sim(api_keys=keys, admins=("archivist",))
    editor = {"Avalon-Api-Key": EDITOR_KEY}
    path = "/media_objects/mk61rh07c.json"
    assert "files" in (await send(http, sim, "GET", path, editor)).json()
    published = {"files": [], "publish": True}
    assert (await send(http, sim, "PUT", path, ADMIN, json=published)).status == 200
    assert "files" not in (await send(http, sim, "GET", path, editor)).json()
    assert (await send(http, sim, "PUT", path, editor, json={})).status == 401


async def test_keys_are_configured_per_user(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(api_keys={EDITOR_KEY: "editor@example.com"}, admins=())
    editor = {"Avalon-Api-Key": EDITOR_KEY}
    changed = await send(http, sim, "PUT", "/media_objects/mk61rh07c.json", editor, json={})
    other = await send(http, sim, "PUT", "/media_objects/1g05fb83r.json", editor, json={})
    demo = await send(http, sim, "GET", "/media_objects.json", ADMIN)
    assert (changed.status, other.status, demo.status) == (200, 401, 403)
