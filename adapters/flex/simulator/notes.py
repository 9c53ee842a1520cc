"""What people add to a Flex simulator asset: annotations, comments, external ids, history.

Annotations mark a frame range of the asset's timeline: ``{content, category,
originatorContext, in, out}``, where originatorContext is MioAssetReview, QCReport or
empty. POST takes one annotation object or an array of them (all are checked before any
is stored). History lists the events about the asset.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from adapters.flex.simulator.assets import find
from adapters.flex.simulator.plumbing import Call, FlexError, Json, json_response, list_body
from adapters.flex.simulator.state import ref, render, stamp, state

CONTEXTS: Final = ("MioAssetReview", "QCReport", "")


def _frame(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FlexError(400, f"{name} must be a non-negative frame number")
    return value


def _annotation_fields(body: Any, current: Json | None = None) -> Json:
    if not isinstance(body, dict):
        raise FlexError(400, "An annotation must be a JSON object")
    fields = dict(current or {"category": "", "originatorContext": "", "in": 0})
    for key in ("content", "category", "originatorContext"):
        if key in body:
            if not isinstance(body[key], str):
                raise FlexError(400, f"{key} must be a string")
            fields[key] = body[key]
    if not str(fields.get("content", "")).strip():
        raise FlexError(400, "content is required")
    if fields["originatorContext"] not in CONTEXTS:
        raise FlexError(400, "originatorContext must be MioAssetReview, QCReport or empty")
    if "in" in body:
        fields["in"] = _frame(body["in"], "in")
    fields["out"] = _frame(body.get("out", fields.get("out", fields["in"])), "out")
    if fields["out"] < fields["in"]:
        raise FlexError(400, "out must not be before in")
    return fields


def annotation_json(call: Call, record: Json) -> Json:
    """An annotation as the API shows it."""
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    out["href"] = call.href(f"/assets/{record['_asset']}/annotations/{record['id']}")
    out["created"] = stamp(record["_created"])
    out["createdBy"] = ref(call, "users", record["_owner"])
    return out


def _annotations_of(call: Call, asset_id: int) -> list[Json]:
    records = state(call).records["annotations"].values()
    return [r for r in records if r["_asset"] == asset_id]


async def list_annotations(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/annotations``."""
    asset = find(call)
    items = [annotation_json(call, r) for r in _annotations_of(call, asset["id"])]
    return json_response(list_body("annotations", items, call.matrix))


async def create_annotations(call: Call) -> web.StreamResponse:
    """``POST /assets/{id}/annotations``: one object, or an array of them; 201."""
    sim = state(call)
    asset = find(call)
    body = await call.body()
    many = isinstance(body, list)
    checked = [_annotation_fields(item) for item in (body if many else [body])]
    if not checked:
        raise FlexError(400, "At least one annotation is required")
    owner = sim.user_id(call.user)
    created = [
        sim.add("annotations", {**f, "_asset": asset["id"], "_owner": owner}) for f in checked
    ]
    sim.record_event("Annotation Created", call.user, "assets", asset, {"count": len(created)})
    shown = [annotation_json(call, r) for r in created]
    return json_response(shown, 201) if many else call.created(shown[0])


def _annotation(call: Call) -> Json:
    asset = find(call)
    record = state(call).get("annotations", call.int_param("annotation_id", "Annotation"))
    if record["_asset"] != asset["id"]:
        raise FlexError(404, f"Annotation: {record['id']} not found.")
    return record


async def update_annotation(call: Call) -> web.StreamResponse:
    """``PUT /assets/{id}/annotations/{annotation_id}``."""
    record = _annotation(call)
    record.update(_annotation_fields(await call.body(), record))
    state(call).touch(record)
    return json_response(annotation_json(call, record))


async def delete_annotation(call: Call) -> web.StreamResponse:
    """``DELETE /assets/{id}/annotations/{annotation_id}``: 204."""
    record = _annotation(call)
    del state(call).records["annotations"][record["id"]]
    return web.Response(status=204)


def comment_json(call: Call, record: Json) -> Json:
    """A comment as the API shows it."""
    return {
        "id": record["id"],
        "comment": record["comment"],
        "created": stamp(record["_created"]),
        "createdBy": ref(call, "users", record["_owner"]),
        "href": call.href(f"/assets/{record['_asset']}/comments/{record['id']}"),
    }


async def list_comments(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/comments``."""
    asset = find(call)
    records = state(call).records["comments"].values()
    items = [comment_json(call, r) for r in records if r["_asset"] == asset["id"]]
    return json_response(list_body("comments", items, call.matrix))


async def create_comment(call: Call) -> web.StreamResponse:
    """``POST /assets/{id}/comments`` with ``{"comment": text}``; 201."""
    sim = state(call)
    asset = find(call)
    text = (await call.object_body()).get("comment")
    if not isinstance(text, str) or not text.strip():
        raise FlexError(400, "comment is required")
    record = sim.add(
        "comments", {"comment": text, "_asset": asset["id"], "_owner": sim.user_id(call.user)}
    )
    return call.created(comment_json(call, record))


async def show_comment(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/comments/{comment_id}``."""
    asset = find(call)
    record = state(call).get("comments", call.int_param("comment_id", "Comment"))
    if record["_asset"] != asset["id"]:
        raise FlexError(404, f"Comment: {record['id']} not found.")
    return json_response(comment_json(call, record))


def event_json(call: Call, record: Json) -> Json:
    """An event as the API shows it: what happened, to which object, by whom."""
    out = render(call, "events", record)
    plural, key = record["_subject"]
    subject = ref(call, plural, key)
    if subject is not None:
        subject["objectType"] = plural
    out["object"] = subject
    out["user"] = out.pop("owner", None)
    out.pop("createdBy", None)
    if "_file" in record:  # a file the event left in the filestore
        name = record["_file"]
        out["eventData"] = {
            **out["eventData"],
            "file": {"name": name, "href": call.href(f"/files/{name}")},
        }
    return out


async def history(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/history``: the events about the asset, oldest first."""
    asset = find(call)
    records = state(call).records["events"].values()
    items = [event_json(call, r) for r in records if r["_subject"] == ("assets", asset["id"])]
    return json_response(list_body("events", items, call.matrix))


def external_id_json(call: Call, record: Json) -> Json:
    """An external id as the API shows it."""
    return {
        "id": record["id"],
        "key": record["key"],
        "value": record["value"],
        "href": call.href(f"/assets/{record['_asset']}/externalIds/{record['id']}"),
    }


async def list_external_ids(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/externalIds``."""
    asset = find(call)
    records = state(call).records["externalIds"].values()
    items = [external_id_json(call, r) for r in records if r["_asset"] == asset["id"]]
    return json_response(list_body("externalIds", items, call.matrix))


async def create_external_id(call: Call) -> web.StreamResponse:
    """``POST /assets/{id}/externalIds`` with ``{"key", "value"}``; one value per key."""
    sim = state(call)
    asset = find(call)
    body = await call.object_body()
    key, value = body.get("key"), body.get("value")
    if not isinstance(key, str) or not key or not isinstance(value, str):
        raise FlexError(400, "key and value are required strings")
    records = sim.records["externalIds"].values()
    if any(r["_asset"] == asset["id"] and r["key"] == key for r in records):
        raise FlexError(400, f"Asset {asset['id']} already has an external id {key}")
    record = sim.add("externalIds", {"key": key, "value": value, "_asset": asset["id"]})
    return call.created(external_id_json(call, record))
