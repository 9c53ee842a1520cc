"""Actions on Flex simulator objects (``/{plural}/{id}/actions``), with Flex's state rules.

``GET`` lists the actions the object's state allows as a bare JSON array,
``[{"action": "delete", "options": {}}, ...]``, as Flex answers it; ``POST {"action":
name}`` performs one and answers the object. The rules: a deleted object allows only
``destroy`` (which removes it for good); otherwise ``delete``, then ``disable`` when
enabled or ``enable`` when disabled, ``unapprove`` when approved or ``approve`` when not
(assets only), and ``destroy``, which Flex offers without a ``delete`` first.

Flex refuses an action it cannot carry out in a 200 answer carrying
``{"errors": {"error": ...}}`` (the simulator can be set to answer 400 instead): an
action the object's state does not allow ("Cannot approve asset 12: it is already
approved"), and approving a placeholder asset, which has no file to approve yet. An
action type the kind does not have is a 400 ("Unsupported action type"). Asset groups
hold no file of their own and are approved as they are.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from adapters.flex.simulator.assets import asset_json
from adapters.flex.simulator.plumbing import Call, FlexError, Handler, Json, json_response
from adapters.flex.simulator.state import LABELS, FlexState, refusal, render, state

KINDS: Final = {
    "assets": ("enable", "disable", "delete", "approve", "unapprove", "destroy"),
    "actions": ("enable", "disable", "delete", "destroy"),
    "groups": ("enable", "disable", "delete", "destroy"),
    "eventHandlers": ("delete", "destroy"),
}
"""The action types each kind of object has."""

_REASONS: Final = {
    "enable": "it is already enabled",
    "disable": "it is already disabled",
    "approve": "it is already approved",
    "unapprove": "it is not approved",
    "delete": "it is already deleted",
}
_DEPENDENTS: Final = ("annotations", "keyframes", "comments", "externalIds")


def available(plural: str, record: Json) -> list[str]:
    """The actions ``record``'s state allows."""
    kinds = KINDS[plural]
    if record.get("deleted"):
        return ["destroy"]
    out = ["delete"]
    if "enable" in kinds:
        out.append("disable" if record.get("enabled", True) else "enable")
    if "approve" in kinds:
        out.append("unapprove" if record.get("approved") else "approve")
    return [*out, "destroy"]


def _destroy(sim: FlexState, plural: str, record: Json) -> None:
    del sim.records[plural][record["id"]]
    if plural != "assets":
        return
    asset_id = record["id"]
    sim.metadata.pop(asset_id, None)
    for family in _DEPENDENTS:
        for key in [k for k, r in sim.records[family].items() if r["_asset"] == asset_id]:
            del sim.records[family][key]
    memberships = sim.records["memberships"]
    for key in [k for k, r in memberships.items() if asset_id in (r["_parent"], r["_child"])]:
        del memberships[key]
    for items in sim.collection_items.values():
        items[:] = [item for item in items if item["id"] != asset_id]


def refused(plural: str, record: Json, action: str) -> str | None:
    """Why Flex will not carry out ``action`` on ``record``; None when it will.

    400 for an action type the kind does not have.
    """
    label = LABELS[plural].lower()
    if action not in KINDS[plural]:
        raise FlexError(400, f"Unsupported action type '{action}' for {label} {record['id']}")
    if action not in available(plural, record):
        reason = "it is deleted" if record.get("deleted") else _REASONS[action]
        return f"Cannot {action} {label} {record['id']}: {reason}"
    if action == "approve" and not record.get("isGroup") and not record.get("fileInformation"):
        return f"Cannot approve {label} {record['id']}: it has no file yet"
    return None


def perform(sim: FlexState, plural: str, record: Json, action: str, user: str) -> None:
    """Carry out ``action`` on ``record``, which :func:`refused` allows."""
    if action == "destroy":
        _destroy(sim, plural, record)
    else:
        key, value = {
            "enable": ("enabled", True),
            "disable": ("enabled", False),
            "approve": ("approved", True),
            "unapprove": ("approved", False),
            "delete": ("deleted", True),
        }[action]
        record[key] = value
        sim.touch(record)
    sim.record_event(f"{LABELS[plural]} {action.capitalize()}", user, plural, record)


def _shown(call: Call, plural: str, record: Json) -> Json:
    return asset_json(call, record) if plural == "assets" else render(call, plural, record)


def handlers(plural: str) -> tuple[Handler, Handler]:
    """``GET`` and ``POST`` of ``/{plural}/{id}/actions``."""
    label = LABELS[plural]

    async def list_actions(call: Call) -> web.StreamResponse:
        record = state(call).get(plural, call.int_param("id", label))
        return json_response([{"action": a, "options": {}} for a in available(plural, record)])

    async def perform_action(call: Call) -> web.StreamResponse:
        sim = state(call)
        record = sim.get(plural, call.int_param("id", label))
        action = (await call.object_body()).get("action")
        if not isinstance(action, str) or not action:
            raise FlexError(400, "action is required")
        reason = refused(plural, record, action)
        if reason is not None:
            return refusal(call, reason)
        perform(sim, plural, record, action, call.user)
        if action == "destroy":
            return web.Response(status=204)
        return json_response(_shown(call, plural, record))

    return list_actions, perform_action
