"""Collections of the Flex simulator: uuid ids, paged by query, dynamic ones by FQL.

Collections are a family of their own in Flex, and the simulator gives them the shapes
the Flex clients read. They are known by uuid (``/api/collections/{uuid}``), and both
the list and a collection's items are paged with an ordinary query,
``?offset=0&limit=100``, counted by ``totalResults``:
``{"collections": [...], "totalResults": N}`` and ``{"items": [...], "totalResults":
N}``. Matrix paging and sorting are not theirs: ``;offset``, ``;limit``, ``;sortBy`` and
``;sort`` are ignored, and collections come in the order they were made. ``;name=`` and
``;type=dynamic`` (or ``static``) filter the list.

A collection carries ``id`` (= ``uuid``), ``name``, ``description``, ``fql``,
``ownerId``, ``accountId``, ``objectType``, ``hasChildren``, ``editableByUser``,
``subCollections`` and its dates as ``createdDate`` and ``modifiedDate``
(``2024-01-29T15:48:05Z``); it has no ``href``. An item is ``{"itemKey": "<text>",
"id": <asset id>, "uuid": <asset uuid>, "type": <the asset's object type name>,
"createdDate"}`` with the ``in``, ``out`` and ``itemName`` it was given; it has no
``href`` and no name. ``PUT .../items`` adds ``{"items": [{"id", "type"}, ...]}``,
each ``type`` the asset's object type name (``media-asset``, ...), and answers
``[{"code": 200, "item": {...}}, ...]``.

A collection created with an ``fql`` query (up to 2000 characters) is dynamic: its items
are the assets the query matches, found again on every read, and items cannot be added
to it.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web
from multidict import MultiDict

from adapters.flex.simulator.assets import type_id, type_name
from adapters.flex.simulator.plumbing import MAX_LIMIT, Call, FlexError, Json, json_response
from adapters.flex.simulator.query import Predicate, fql, public_fields, select
from adapters.flex.simulator.state import FlexState, iso_stamp, object_type, state

MAX_FQL: Final = 2000
NEW_COLLECTION: Final = "tv.nativ.mio.api.model.collection.NewCollection"
"""The model class Flex's JSON reader names when it refuses a create body."""
CREATE_FIELDS: Final = ("name", "description", "fql")
EDITABLE: Final = ("name", "description")


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


def _query_int(call: Call, name: str, default: int) -> int:
    raw = call.request.query.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit():
        raise FlexError(400, f"Invalid value '{raw}' for {name}: a non-negative integer expected")
    return int(raw)


def _page(call: Call, key: str, found: list[Json]) -> web.Response:
    """One ``?offset&limit`` window of ``found`` under ``key``, with ``totalResults``."""
    offset = _query_int(call, "offset", 0)
    limit = min(_query_int(call, "limit", MAX_LIMIT) or MAX_LIMIT, MAX_LIMIT)
    return json_response({key: found[offset : offset + limit], "totalResults": len(found)})


def collection_json(call: Call, record: Json) -> Json:
    """A collection as the API shows it."""
    return {
        "id": record["id"],
        "uuid": record["uuid"],
        "name": record["name"],
        "description": record["description"],
        "fql": record["fql"],
        "ownerId": record["_owner"],
        "accountId": record["_account"],
        "objectType": object_type(call, record["_type"]),
        "hasChildren": False,
        "editableByUser": True,
        "subCollections": [],
        "createdDate": iso_stamp(record["_created"]),
        "modifiedDate": iso_stamp(record["_modified"]),
    }


async def list_collections(call: Call) -> web.StreamResponse:
    """``GET /collections?offset&limit``, filtered by ``;name`` and ``;type``."""
    filters = MultiDict((k, v) for k, v in call.matrix.items() if k in ("name", "exactNameMatch"))
    records = state(call).records["collections"].values()
    chosen = sorted(select(records, filters, extra=_type_filter(call)), key=lambda r: r["_created"])
    return _page(call, "collections", [collection_json(call, c) for c in chosen])


def new_collection(sim: FlexState, user: str, body: Json) -> Json:
    """Store a collection from a create body (validated here)."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FlexError(400, "name is required")
    record = sim.add(
        "collections",
        {
            "name": name,
            "description": str(body.get("description") or ""),
            "fql": _query(sim, body.get("fql")),
            "_type": type_id(sim, "collection"),
            "_owner": sim.user_id(user),
            "_account": next(iter(sim.records["accounts"]), None),
        },
    )
    sim.collection_items[record["id"]] = []
    return record


async def create(call: Call) -> web.StreamResponse:
    """``POST /collections``: 201 with the collection and ``Location``."""
    body = await call.object_body(model=NEW_COLLECTION, fields=CREATE_FIELDS)
    record = new_collection(state(call), call.user, body)
    return call.created(collection_json(call, record), f"/collections/{record['id']}")


def _collection(call: Call) -> Json:
    return state(call).get("collections", call.params["id"])


async def show(call: Call) -> web.StreamResponse:
    """``GET /collections/{uuid}``."""
    return json_response(collection_json(call, _collection(call)))


async def update(call: Call) -> web.StreamResponse:
    """``PUT /collections/{uuid}``: name, description, and fql of a dynamic one."""
    sim = state(call)
    record = _collection(call)
    body = await call.object_body()
    # Everything is checked before anything changes: a 400 leaves the collection as it was.
    changes: Json = {k: body[k] for k in EDITABLE if k in body}
    for key, value in changes.items():
        if not isinstance(value, str) or (key == "name" and not value.strip()):
            raise FlexError(400, f"Invalid value for {key}")
    if "fql" in body:
        if record["fql"] is None:
            raise FlexError(400, "A static collection cannot become dynamic")
        changes["fql"] = _query(sim, body["fql"]) or record["fql"]
    record.update(changes)
    sim.touch(record)
    return json_response(collection_json(call, record))


async def delete(call: Call) -> web.StreamResponse:
    """``DELETE /collections/{uuid}``: 204."""
    sim = state(call)
    record = _collection(call)
    del sim.records["collections"][record["id"]]
    sim.collection_items.pop(record["id"], None)
    return web.Response(status=204)


def add_item(sim: FlexState, collection_id: str, asset: Json, extra: Json | None = None) -> Json:
    """Put ``asset`` at the end of a static collection; the stored item."""
    item = {
        "itemKey": str(sim.next_item_key),
        "id": asset["id"],
        "type": type_name(sim, asset),
        "_created": sim.tick(),
        **(extra or {}),
    }
    sim.next_item_key += 1
    sim.collection_items[collection_id].append(item)
    return item


def _found_item(sim: FlexState, asset: Json) -> Json:
    """An item of a dynamic collection, made on each read and keyed by its asset."""
    key = str(asset["id"])
    return {
        "itemKey": key,
        "id": asset["id"],
        "type": type_name(sim, asset),
        "_created": asset["_created"],
    }


def _item_json(sim: FlexState, item: Json) -> Json:
    asset = sim.records["assets"].get(item["id"])
    out = {k: v for k, v in item.items() if not k.startswith("_")}
    out["uuid"] = asset["uuid"] if asset else None
    out["createdDate"] = iso_stamp(item["_created"])
    return out


async def items(call: Call) -> web.StreamResponse:
    """``GET /collections/{uuid}/items?offset&limit``: ``{"items", "totalResults"}``."""
    sim = state(call)
    record = _collection(call)
    if record["fql"] is not None:
        matched = select(sim.records["assets"].values(), MultiDict(fql=record["fql"]))
        found = [_found_item(sim, asset) for asset in matched]
    else:
        found = sim.collection_items[record["id"]]
    return _page(call, "items", [_item_json(sim, item) for item in found])


def _wanted(sim: FlexState, entry: Any) -> tuple[Json, Json]:
    """The asset an ``items`` entry names and the entry's extras; 400 or 404 otherwise."""
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise FlexError(400, 'Each item must be {"id": <asset id>, "type": <object type name>}')
    asset = sim.get("assets", entry.get("id"))
    expected = type_name(sim, asset)
    if entry["type"] != expected:
        raise FlexError(
            400, f"Invalid item type '{entry['type']}' for asset {asset['id']}: a {expected}"
        )
    return asset, {k: entry[k] for k in ("in", "out", "itemName") if k in entry}


async def add_items(call: Call) -> web.StreamResponse:
    """``PUT /collections/{uuid}/items`` with ``{"items": [{"id", "type"}]}``: adds them."""
    sim = state(call)
    record = _collection(call)
    if record["fql"] is not None:
        raise FlexError(400, "Items cannot be added to a dynamic collection")
    wanted = (await call.object_body()).get("items")
    if not isinstance(wanted, list) or not wanted:
        raise FlexError(400, "items must be a non-empty list")
    checked = [_wanted(sim, entry) for entry in wanted]
    added = [add_item(sim, record["id"], asset, extra) for asset, extra in checked]
    sim.touch(record)
    return json_response([{"code": 200, "item": _item_json(sim, item)} for item in added])


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
