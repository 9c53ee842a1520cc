"""Collections of the Flex simulator: uuid ids, items paged by query, dynamic ones by FQL.

Collections are the one family known by uuid (``/api/collections/{uuid}``). Their items
are paged with an ordinary query, ``/items?offset=0&limit=100``, and listed as
``{"items": [...], "totalResults": N}``. A collection created with an ``fql`` query
(up to 2000 characters) is dynamic: its items are the assets the query matches, found
again on every read, and items cannot be added to it. ``;type=dynamic`` (or ``static``)
filters the list.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web
from multidict import MultiDict

from adapters.flex.simulator.assets import type_id
from adapters.flex.simulator.plumbing import Call, FlexError, Json, json_response, list_body
from adapters.flex.simulator.query import Predicate, fql, public_fields, select
from adapters.flex.simulator.state import FlexState, render, state

MAX_FQL: Final = 2000


def _query(sim: FlexState, text: Any) -> str | None:
    if text is None or text == "":
        return None
    if not isinstance(text, str) or len(text) > MAX_FQL:
        raise FlexError(400, f"fql must be a string of at most {MAX_FQL} characters")
    fql(text, public_fields(sim.records["assets"].values()))  # refuse what does not parse
    return text


def _type_filter(call: Call) -> Predicate | None:
    kind = call.matrix.get("type")
    if kind is None:
        return None
    if kind not in ("dynamic", "static"):
        raise FlexError(400, f"Invalid type '{kind}': dynamic or static")
    return lambda record: (record.get("fql") is not None) is (kind == "dynamic")


async def list_collections(call: Call) -> web.StreamResponse:
    """``GET /collections``."""
    chosen = select(
        state(call).records["collections"].values(), call.matrix, extra=_type_filter(call)
    )
    items = [render(call, "collections", c) for c in chosen]
    return json_response(list_body("collections", items, call.matrix))


def new_collection(sim: FlexState, user: str, body: Json) -> Json:
    """Store a collection from a create body (validated here)."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FlexError(400, "name is required")
    record = sim.add(
        "collections",
        {
            "name": name,
            "displayName": str(body.get("displayName") or name),
            "description": str(body.get("description") or ""),
            "enabled": True,
            "deleted": False,
            "fql": _query(sim, body.get("fql")),
            "_type": type_id(sim, "collection"),
            "_owner": sim.user_id(user),
            "_account": next(iter(sim.records["accounts"]), None),
        },
    )
    sim.collection_items[record["id"]] = []
    return record


async def create(call: Call) -> web.StreamResponse:
    """``POST /collections``: 201 with the collection."""
    record = new_collection(state(call), call.user, await call.object_body())
    return json_response(render(call, "collections", record), 201)


def _collection(call: Call) -> Json:
    return state(call).get("collections", call.params["id"])


async def show(call: Call) -> web.StreamResponse:
    """``GET /collections/{uuid}``."""
    return json_response(render(call, "collections", _collection(call)))


async def update(call: Call) -> web.StreamResponse:
    """``PUT /collections/{uuid}``: name, displayName, description, and fql of a dynamic one."""
    sim = state(call)
    record = _collection(call)
    body = await call.object_body()
    # Everything is checked before anything changes: a 400 leaves the collection as it was.
    changes: Json = {k: body[k] for k in ("name", "displayName", "description") if k in body}
    for key, value in changes.items():
        if not isinstance(value, str) or (key == "name" and not value.strip()):
            raise FlexError(400, f"Invalid value for {key}")
    if "fql" in body:
        if record["fql"] is None:
            raise FlexError(400, "A static collection cannot become dynamic")
        changes["fql"] = _query(sim, body["fql"]) or record["fql"]
    record.update(changes)
    sim.touch(record)
    return json_response(render(call, "collections", record))


async def delete(call: Call) -> web.StreamResponse:
    """``DELETE /collections/{uuid}``: 204."""
    sim = state(call)
    record = _collection(call)
    del sim.records["collections"][record["id"]]
    sim.collection_items.pop(record["id"], None)
    return web.Response(status=204)


def _item_json(call: Call, item: Json) -> Json:
    asset = state(call).records["assets"].get(item["id"])
    return {
        **item,
        "name": asset["name"] if asset else None,
        "href": call.href(f"/assets/{item['id']}"),
    }


def _query_int(call: Call, name: str, default: int) -> int:
    raw = call.request.query.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit():
        raise FlexError(400, f"Invalid value '{raw}' for {name}: a non-negative integer expected")
    return int(raw)


async def items(call: Call) -> web.StreamResponse:
    """``GET /collections/{uuid}/items?offset&limit``: ``{"items", "totalResults"}``."""
    sim = state(call)
    record = _collection(call)
    if record["fql"] is not None:
        matched = select(sim.records["assets"].values(), MultiDict(fql=record["fql"]))
        found = [{"itemKey": a["id"], "id": a["id"], "type": "asset"} for a in matched]
    else:
        found = sim.collection_items[record["id"]]
    offset = _query_int(call, "offset", 0)
    limit = min(_query_int(call, "limit", 100) or 100, 100)
    page = [_item_json(call, item) for item in found[offset : offset + limit]]
    return json_response({"items": page, "totalResults": len(found)})


async def add_items(call: Call) -> web.StreamResponse:
    """``PUT /collections/{uuid}/items`` with ``{"items": [{"id", "type"}]}``: adds them."""
    sim = state(call)
    record = _collection(call)
    if record["fql"] is not None:
        raise FlexError(400, "Items cannot be added to a dynamic collection")
    wanted = (await call.object_body()).get("items")
    if not isinstance(wanted, list) or not wanted:
        raise FlexError(400, "items must be a non-empty list")
    added: list[Json] = []
    for entry in wanted:
        if not isinstance(entry, dict) or entry.get("type", "asset") != "asset":
            raise FlexError(400, 'Each item must be {"id": <asset id>, "type": "asset"}')
        sim.get("assets", entry.get("id"))
    for entry in wanted:
        item = {"itemKey": sim.next_item_key, "id": entry["id"], "type": "asset"}
        item.update({k: entry[k] for k in ("in", "out", "itemName") if k in entry})
        sim.next_item_key += 1
        sim.collection_items[record["id"]].append(item)
        added.append({"code": 200, "item": _item_json(call, item)})
    sim.touch(record)
    return json_response(added)


async def remove_items(call: Call) -> web.StreamResponse:
    """``DELETE /collections/{uuid}/items`` with ``{"itemKeys": [...]}``: 204."""
    sim = state(call)
    record = _collection(call)
    keys = (await call.object_body()).get("itemKeys")
    if not isinstance(keys, list):
        raise FlexError(400, "itemKeys must be a list")
    wanted = {str(k) for k in keys}
    current = sim.collection_items.get(record["id"], [])
    current[:] = [item for item in current if str(item["itemKey"]) not in wanted]
    return web.Response(status=204)
