"""Asset group memberships of the Flex simulator, ordered by a 1-based ``index``.

A membership ``{id, index, parent, child, href}`` puts an asset (the child) into an
asset group (the parent: an asset with isGroup true). A group's members are numbered
1..n without gaps. Adding at an index (``{"assetId", "index"}`` on the group's
``/members``, or ``{"parentId", "index"}`` on the child's ``/memberships``) moves the
members from that place one down; ``PUT {"index"}`` moves a member; deleting closes the
gap. An asset is in a group at most once, and no group may end up inside itself.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.flex.simulator.assets import find
from adapters.flex.simulator.plumbing import Call, FlexError, Json, json_response, list_body
from adapters.flex.simulator.state import FlexState, ref, state

MEMBERS = "members"
MEMBERSHIPS = "memberships"


def members_of(sim: FlexState, group_id: int) -> list[Json]:
    """The memberships of a group, in index order."""
    records = sim.records["memberships"].values()
    return sorted((r for r in records if r["_parent"] == group_id), key=lambda r: r["index"])


def _renumber(ordered: list[Json]) -> None:
    for position, record in enumerate(ordered, start=1):
        record["index"] = position


def _index(value: Any, largest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= largest:
        raise FlexError(400, f"index must be an integer from 1 to {largest}")
    return value


def _ancestors(sim: FlexState, asset_id: int) -> set[int]:
    found: set[int] = set()
    todo = [asset_id]
    while todo:
        current = todo.pop()
        for record in sim.records["memberships"].values():
            if record["_child"] == current and record["_parent"] not in found:
                found.add(record["_parent"])
                todo.append(record["_parent"])
    return found


def _group(asset: Json) -> Json:
    if not asset["isGroup"]:
        raise FlexError(400, f"Asset {asset['id']} is not an asset group")
    return asset


def add_member(sim: FlexState, group: Json, child_id: Any, index: Any = None) -> Json:
    """Put asset ``child_id`` into ``group`` at ``index`` (at the end when None)."""
    _group(group)
    if isinstance(child_id, bool) or not isinstance(child_id, int):
        raise FlexError(400, "the id of the asset to add is required")
    child = sim.get("assets", child_id)
    current = members_of(sim, group["id"])
    if any(r["_child"] == child["id"] for r in current):
        raise FlexError(400, f"Asset {child['id']} is already a member of group {group['id']}")
    if child["id"] == group["id"] or child["id"] in _ancestors(sim, group["id"]):
        raise FlexError(400, f"Asset {child['id']} cannot be a member of group {group['id']}")
    position = len(current) + 1 if index is None else _index(index, len(current) + 1)
    record = sim.add(
        "memberships", {"index": position, "_parent": group["id"], "_child": child["id"]}
    )
    current.insert(position - 1, record)
    _renumber(current)
    sim.touch(group)
    return record


def membership_json(call: Call, record: Json, view: str) -> Json:
    """A membership as seen from the group (``members``) or the child (``memberships``)."""
    owner = record["_parent"] if view == MEMBERS else record["_child"]
    return {
        "id": record["id"],
        "index": record["index"],
        "parent": ref(call, "assets", record["_parent"]),
        "child": ref(call, "assets", record["_child"]),
        "href": call.href(f"/assets/{owner}/{view}/{record['id']}"),
    }


def _membership(call: Call, view: str) -> Json:
    asset = find(call)
    record = state(call).get("memberships", call.int_param("membership_id", "Membership"))
    owner = record["_parent"] if view == MEMBERS else record["_child"]
    if owner != asset["id"]:
        raise FlexError(404, f"Membership: {record['id']} not found.")
    return record


def _listing(view: str) -> Any:
    async def handler(call: Call) -> web.StreamResponse:
        sim = state(call)
        asset = find(call)
        if view == MEMBERS:
            records = members_of(sim, _group(asset)["id"])
        else:
            records = [r for r in sim.records["memberships"].values() if r["_child"] == asset["id"]]
        items = [membership_json(call, r, view) for r in records]
        return json_response(list_body("memberships", items, call.matrix))

    return handler


list_members = _listing(MEMBERS)
list_memberships = _listing(MEMBERSHIPS)


async def create_member(call: Call) -> web.StreamResponse:
    """``POST /assets/{id}/members`` with ``{"assetId", "index"?}``; 201."""
    body = await call.object_body()
    record = add_member(state(call), find(call), body.get("assetId"), body.get("index"))
    return call.created(membership_json(call, record, MEMBERS))


async def create_membership(call: Call) -> web.StreamResponse:
    """``POST /assets/{id}/memberships`` with ``{"parentId", "index"?}``; 201."""
    sim = state(call)
    body = await call.object_body()
    parent_id = body.get("parentId")
    if isinstance(parent_id, bool) or not isinstance(parent_id, int):
        raise FlexError(400, "parentId is required")
    record = add_member(sim, sim.get("assets", parent_id), find(call)["id"], body.get("index"))
    return call.created(membership_json(call, record, MEMBERSHIPS))


def _one(view: str) -> tuple[Any, Any, Any]:
    async def show(call: Call) -> web.StreamResponse:
        return json_response(membership_json(call, _membership(call, view), view))

    async def move(call: Call) -> web.StreamResponse:
        sim = state(call)
        record = _membership(call, view)
        ordered = members_of(sim, record["_parent"])
        index = _index((await call.object_body()).get("index"), len(ordered))
        ordered.remove(record)
        ordered.insert(index - 1, record)
        _renumber(ordered)
        sim.touch(sim.get("assets", record["_parent"]))
        return json_response(membership_json(call, record, view))

    async def delete(call: Call) -> web.StreamResponse:
        sim = state(call)
        record = _membership(call, view)
        del sim.records["memberships"][record["id"]]
        _renumber(members_of(sim, record["_parent"]))
        return web.Response(status=204)

    return show, move, delete


show_member, move_member, delete_member = _one(MEMBERS)
show_membership, move_membership, delete_membership = _one(MEMBERSHIPS)
