"""Assets of the Flex simulator: list, placeholder create, get, update, file hierarchy.

Besides the common object fields an asset has size, fileAssetType (VIDEO, AUDIO,
IMAGE, DOCUMENT), variant, isGroup, approved, fileInformation, parent (the parent
file asset, or null), assetContext, published, archived and locked. A placeholder has
no file yet: size 0 and fileInformation null. ``;externalId=key:value`` and
``;includeMetadata=true`` (the instance under ``metadata.instance``) work on the list
besides the common filters. Object types are named as Flex names them: ``media-asset``
(video and audio), ``image-asset``, ``text-asset`` (documents) and ``group-asset``.
A create body with a member the simulator does not know is refused with 400, as Flex's
JSON reader refuses members of no field of its model.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from adapters.flex.simulator.plumbing import Call, FlexError, Json, flag, json_response, list_body
from adapters.flex.simulator.query import Predicate, select
from adapters.flex.simulator.state import FlexState, ref, render, state

FILE_TYPES: Final = ("VIDEO", "AUDIO", "IMAGE", "DOCUMENT")
EDITABLE: Final = ("name", "displayName", "description")
TYPE_NAMES: Final = {
    "VIDEO": "media-asset",
    "AUDIO": "media-asset",
    "IMAGE": "image-asset",
    "DOCUMENT": "text-asset",
}
GROUP_TYPE: Final = "group-asset"
NEW_ASSET: Final = "tv.nativ.mio.api.model.asset.create.NewAsset"
"""The model class Flex's JSON reader names when it refuses a create body."""
CREATE_FIELDS: Final = ("name", "displayName", "description", "fileAssetType", "isGroup")


def type_id(sim: FlexState, name: str) -> int:
    """The id of the object type called ``name``."""
    for record in sim.records["objectTypes"].values():
        if record["name"] == name:
            return int(record["id"])
    raise FlexError(500, f"Object type {name} is not configured")


def type_name(sim: FlexState, asset: Json) -> str:
    """The name of ``asset``'s object type (``media-asset``, ...)."""
    return str(sim.get("objectTypes", asset["_type"])["name"])


def asset_json(call: Call, asset: Json, *, metadata: bool = False) -> Json:
    """An asset as the API shows it."""
    out = render(call, "assets", asset)
    out["parent"] = ref(call, "assets", asset.get("_parent"))
    if metadata:
        out["metadata"] = {"instance": state(call).metadata.get(asset["id"])}
    return out


def find(call: Call, name: str = "id") -> Json:
    """The asset named by the path parameter ``name``; 404 when there is none."""
    return state(call).get("assets", call.int_param(name, "Asset"))


def _external_id_filter(call: Call) -> Predicate | None:
    wanted = call.matrix.get("externalId")
    if wanted is None:
        return None
    key, sep, value = wanted.partition(":")
    if not sep:
        raise FlexError(400, f"Invalid externalId '{wanted}': expected key:value")
    owners = {
        e["_asset"]
        for e in state(call).records["externalIds"].values()
        if e["key"] == key and e["value"] == value
    }
    return lambda record: record["id"] in owners


async def list_assets(call: Call) -> web.StreamResponse:
    """``GET /assets``: one window of the assets the matrix parameters pick."""
    chosen = select(
        state(call).records["assets"].values(), call.matrix, extra=_external_id_filter(call)
    )
    with_metadata = bool(flag(call.matrix, "includeMetadata"))
    items = [asset_json(call, a, metadata=with_metadata) for a in chosen]
    return json_response(list_body("assets", items, call.matrix))


def new_asset(sim: FlexState, user: str, body: Json) -> Json:
    """Store a placeholder asset from a create body (validated here)."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FlexError(400, "name is required")
    file_type = body.get("fileAssetType", "VIDEO")
    if file_type not in FILE_TYPES:
        raise FlexError(400, f"Invalid fileAssetType '{file_type}': one of {', '.join(FILE_TYPES)}")
    is_group = body.get("isGroup", False)
    if not isinstance(is_group, bool):
        raise FlexError(400, "isGroup must be true or false")
    owner = sim.user_id(user)
    account = next(iter(sim.records["accounts"]), None)
    definition = next(iter(sim.records["metadataDefinitions"]), None)
    asset = sim.add(
        "assets",
        {
            "name": name,
            "displayName": str(body.get("displayName") or name),
            "description": str(body.get("description") or ""),
            "enabled": True,
            "deleted": False,
            "visibility": [],
            "size": 0,
            "fileAssetType": file_type,
            "variant": {"id": 1, "name": "Default"},
            "isGroup": is_group,
            "approved": False,
            "fileInformation": None,
            "assetContext": {},
            "published": False,
            "archived": False,
            "locked": False,
            "_type": type_id(sim, GROUP_TYPE if is_group else TYPE_NAMES[file_type]),
            "_owner": owner,
            "_account": account,
            "_definition": definition,
        },
    )
    sim.metadata[asset["id"]] = {"metadata": {"title": name}}
    sim.record_event("Asset Created", user, "assets", asset)
    return asset


async def create(call: Call) -> web.StreamResponse:
    """``POST /assets``: a placeholder asset; 201 with the asset and ``Location``."""
    body = await call.object_body(model=NEW_ASSET, fields=CREATE_FIELDS)
    asset = new_asset(state(call), call.user, body)
    return call.created(asset_json(call, asset), f"/assets/{asset['id']}")


async def show(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}`` (``;includeMetadata=true`` adds the metadata instance)."""
    asset = find(call)
    return json_response(
        asset_json(call, asset, metadata=bool(flag(call.matrix, "includeMetadata")))
    )


async def update(call: Call) -> web.StreamResponse:
    """``PUT /assets/{id}``: the editable properties; others are read-only and ignored."""
    sim = state(call)
    asset = find(call)
    body = await call.object_body()
    # Everything is checked before anything changes: a 400 leaves the asset as it was.
    changes: Json = {key: body[key] for key in EDITABLE if key in body}
    for key, value in changes.items():
        if not isinstance(value, str) or (key == "name" and not value.strip()):
            raise FlexError(400, f"Invalid value for {key}: a non-empty string expected")
    asset.update(changes)
    sim.touch(asset)
    sim.record_event("Asset Updated", call.user, "assets", asset)
    return json_response(asset_json(call, asset))


async def children(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/children``: the child file assets (empty for most assets)."""
    asset = find(call)
    kids = [a for a in state(call).records["assets"].values() if a.get("_parent") == asset["id"]]
    items = [asset_json(call, a) for a in select(kids, call.matrix)]
    return json_response(list_body("assets", items, call.matrix))


async def parent(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/parent``: the parent file asset; 404 when there is none."""
    asset = find(call)
    if asset.get("_parent") is None:
        raise FlexError(404, f"Asset: {asset['id']} has no parent.")
    return json_response(asset_json(call, state(call).get("assets", asset["_parent"])))


async def references(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/references``: the collections and asset groups that hold it."""
    sim = state(call)
    asset = find(call)
    found: list[Json] = []
    for uuid, items in sim.collection_items.items():
        if any(item["id"] == asset["id"] for item in items):
            found.append(render(call, "collections", sim.get("collections", uuid)))
    for membership in sim.records["memberships"].values():
        if membership["_child"] == asset["id"]:
            found.append(render(call, "assets", sim.get("assets", membership["_parent"])))
    shown: list[Json] = [
        {key: r[key] for key in ("id", "name", "href", "objectType") if key in r} for r in found
    ]
    return json_response(list_body("references", shown, call.matrix))
