"""The simpler families of the Flex simulator: accounts, users, actions, events, event
handlers, groups (with their user members), object types, metadata definitions, files.

Each lists with the common matrix filters and answers one record by id. Events can be
created (and filtered with ``;eventType=``); event handlers and groups can be deleted
(deleted objects stay, flagged, until destroyed through their actions); groups can be
created and updated, and ``PUT /groups/{id}/members`` with ``{"users": [{"id"}, ...]}``
sets the whole member list in the order given, as Flex wants every member named.
Object types and workflow actions carry ``icons``: absolute URLs that name the port
even where it is the scheme's default (``https://host:443/images/icons/...``), as Flex
writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from adapters.flex.simulator.assets import type_id
from adapters.flex.simulator.notes import event_json
from adapters.flex.simulator.plumbing import (
    Call,
    FlexError,
    Handler,
    Json,
    json_response,
    list_body,
)
from adapters.flex.simulator.query import select
from adapters.flex.simulator.state import LABELS, ref, render, state

Renderer = Callable[[Call, Json], Json]


_ICON_SIZES: Final = (("small", "small"), ("normal", "normal"), ("medium", "medium"))


def _icons(call: Call, name: str) -> Json:
    url = call.request.url
    origin = f"{url.scheme}://{url.host}:{url.port}"
    sizes = (*_ICON_SIZES, ("large", "giant"))
    return {size: f"{origin}/images/icons/{folder}/{name}.png" for size, folder in sizes}


def _with_icons(plural: str, icon: Callable[[Json], str]) -> Renderer:
    def show(call: Call, record: Json) -> Json:
        return {**render(call, plural, record), "icons": _icons(call, icon(record))}

    return show


def _renderer(plural: str) -> Renderer:
    if plural == "events":
        return event_json
    if plural == "objectTypes":
        return _with_icons(plural, lambda record: str(record["name"]))
    if plural == "actions":
        return _with_icons(plural, lambda record: str(record["type"]["name"]))
    return lambda call, record: render(call, plural, record)


def family(plural: str) -> tuple[Handler, Handler]:
    """``GET /{plural}`` and ``GET /{plural}/{id}``."""
    show_record = _renderer(plural)

    async def listing(call: Call) -> web.StreamResponse:
        records: Any = state(call).records[plural].values()
        event_type = call.matrix.get("eventType") if plural == "events" else None
        if event_type is not None:
            records = [r for r in records if r["eventType"] == event_type]
        items = [show_record(call, r) for r in select(records, call.matrix)]
        return json_response(list_body(plural, items, call.matrix))

    async def one(call: Call) -> web.StreamResponse:
        record = state(call).get(plural, call.int_param("id", LABELS[plural]))
        return json_response(show_record(call, record))

    return listing, one


def _text(body: Json, key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise FlexError(400, f"{key} is required" if required else f"{key} must be a string")
    return value


async def create_event(call: Call) -> web.StreamResponse:
    """``POST /events`` with ``{"eventType", "message"?, "eventData"?}``; 201."""
    sim = state(call)
    body = await call.object_body()
    event_type = _text(body, "eventType", required=True)
    data = body.get("eventData", {})
    if not isinstance(data, dict):
        raise FlexError(400, "eventData must be an object")
    event = sim.record_event(str(event_type), call.user, "users", {"id": sim.user_id(call.user)})
    event["eventData"] = data
    event["message"] = _text(body, "message") or event_type
    return call.created(event_json(call, event), f"/events/{event['id']}")


def soft_delete(plural: str) -> Handler:
    """``DELETE /{plural}/{id}``: flag the object deleted (destroy removes it); 204."""

    async def delete(call: Call) -> web.StreamResponse:
        sim = state(call)
        record = sim.get(plural, call.int_param("id", LABELS[plural]))
        record["deleted"] = True
        sim.touch(record)
        return web.Response(status=204)

    return delete


async def create_group(call: Call) -> web.StreamResponse:
    """``POST /groups`` with ``{"name", "description"?}``; 201."""
    sim = state(call)
    body = await call.object_body()
    name = str(_text(body, "name", required=True))
    record = sim.add(
        "groups",
        {
            "name": name,
            "displayName": name,
            "description": _text(body, "description") or "",
            "enabled": True,
            "deleted": False,
            "_members": [],
            "_type": type_id(sim, "group"),
            "_owner": sim.user_id(call.user),
            "_account": next(iter(sim.records["accounts"]), None),
        },
    )
    return call.created(render(call, "groups", record), f"/groups/{record['id']}")


async def update_group(call: Call) -> web.StreamResponse:
    """``PUT /groups/{id}``: name and description."""
    sim = state(call)
    record = sim.get("groups", call.int_param("id", "Group"))
    body = await call.object_body()
    record["name"] = _text(body, "name") or record["name"]
    record["description"] = _text(body, "description") or record["description"]
    sim.touch(record)
    return json_response(render(call, "groups", record))


def _users(call: Call, group: Json) -> Json:
    users = [ref(call, "users", user_id) for user_id in group["_members"]]
    return list_body("users", [u for u in users if u is not None], call.matrix)


async def group_members(call: Call) -> web.StreamResponse:
    """``GET /groups/{id}/members``: the users, in the group's order."""
    group = state(call).get("groups", call.int_param("id", "Group"))
    return json_response(_users(call, group))


async def set_group_members(call: Call) -> web.StreamResponse:
    """``PUT /groups/{id}/members`` with every member: the new list, in that order."""
    sim = state(call)
    group = sim.get("groups", call.int_param("id", "Group"))
    users = (await call.object_body()).get("users")
    if not isinstance(users, list):
        raise FlexError(400, 'users must be a list of {"id": <user id>}')
    ids: list[int] = []
    for entry in users:
        user_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise FlexError(400, 'users must be a list of {"id": <user id>}')
        sim.get("users", user_id)
        if user_id in ids:
            raise FlexError(400, f"User {user_id} is named twice")
        ids.append(user_id)
    group["_members"] = ids
    sim.touch(group)
    return json_response(_users(call, group))


async def file(call: Call) -> web.StreamResponse:
    """``GET /files/{name}``: a non-asset file of the filestore, in its own type."""
    found = state(call).files.get(call.params["name"])
    if found is None:
        raise FlexError(404, f"File {call.params['name']} not found")
    content_type, data = found
    return web.Response(body=data, content_type=content_type)
