"""Keyframes of the Flex simulator's video assets, with their images as PNG bytes.

A keyframe is a still of a video asset at ``frame`` (``timecode`` HH:MM:SS:FF at 25
frames per second): ``{id, name, frame, timecode, width, height, mimeType, image:
{href}}``. ``GET .../keyframes/{id}/image`` answers the still itself, a small PNG whose
colour follows the frame number.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any, Final

from aiohttp import web

from adapters.flex.simulator.assets import find
from adapters.flex.simulator.plumbing import Call, FlexError, Json, json_response, list_body
from adapters.flex.simulator.state import stamp, state

FPS: Final = 25
WIDTH: Final = 64
HEIGHT: Final = 36
_TIMECODE: Final = re.compile(r"(\d{2}):(\d{2}):(\d{2}):(\d{2})")


def timecode(frame: int) -> str:
    """``frame`` as HH:MM:SS:FF."""
    seconds, frames = divmod(frame, FPS)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A one-colour PNG image."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data)
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _frame_of(body: Json) -> int | None:
    if "frame" in body:
        frame = body["frame"]
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
            raise FlexError(400, "frame must be a non-negative integer")
        return frame
    if "timecode" in body:
        match = _TIMECODE.fullmatch(str(body["timecode"]))
        if match is None or int(match[4]) >= FPS:
            raise FlexError(400, "timecode must be HH:MM:SS:FF")
        hours, minutes, seconds, frames = (int(g) for g in match.groups())
        return ((hours * 60 + minutes) * 60 + seconds) * FPS + frames
    return None


def keyframe_json(call: Call, record: Json) -> Json:
    """A keyframe as the API shows it."""
    base = f"/assets/{record['_asset']}/keyframes/{record['id']}"
    return {
        "id": record["id"],
        "name": record["name"],
        "frame": record["frame"],
        "timecode": timecode(record["frame"]),
        "width": WIDTH,
        "height": HEIGHT,
        "mimeType": "image/png",
        "created": stamp(record["_created"]),
        "href": call.href(base),
        "image": {"href": call.href(base + "/image")},
    }


def _keyframe(call: Call) -> Json:
    asset = find(call)
    record = state(call).get("keyframes", call.int_param("keyframe_id", "Keyframe"))
    if record["_asset"] != asset["id"]:
        raise FlexError(404, f"Keyframe: {record['id']} not found.")
    return record


async def list_keyframes(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/keyframes``, by frame."""
    asset = find(call)
    records = [r for r in state(call).records["keyframes"].values() if r["_asset"] == asset["id"]]
    items = [keyframe_json(call, r) for r in sorted(records, key=lambda r: (r["frame"], r["id"]))]
    return json_response(list_body("keyframes", items, call.matrix))


async def create_keyframe(call: Call) -> web.StreamResponse:
    """``POST /assets/{id}/keyframes`` with ``frame`` or ``timecode``; 201."""
    sim = state(call)
    asset = find(call)
    if asset["fileAssetType"] != "VIDEO" or asset["isGroup"]:
        raise FlexError(400, f"Asset {asset['id']} is not a video: keyframes need one")
    body = await call.object_body()
    frame = _frame_of(body)
    if frame is None:
        raise FlexError(400, "frame or timecode is required")
    name: Any = body.get("name") or f"Keyframe at {timecode(frame)}"
    record = sim.add("keyframes", {"name": str(name), "frame": frame, "_asset": asset["id"]})
    sim.record_event("Keyframe Created", call.user, "assets", asset)
    return call.created(keyframe_json(call, record))


async def show_keyframe(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/keyframes/{keyframe_id}``."""
    return json_response(keyframe_json(call, _keyframe(call)))


async def update_keyframe(call: Call) -> web.StreamResponse:
    """``PUT /assets/{id}/keyframes/{keyframe_id}``: name, frame or timecode."""
    record = _keyframe(call)
    body = await call.object_body()
    # Everything is checked before anything changes: a 400 leaves the keyframe as it was.
    frame = _frame_of(body)
    if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
        raise FlexError(400, "name must be a non-empty string")
    if frame is not None:
        record["frame"] = frame
    if "name" in body:
        record["name"] = body["name"]
    state(call).touch(record)
    return json_response(keyframe_json(call, record))


async def delete_keyframe(call: Call) -> web.StreamResponse:
    """``DELETE /assets/{id}/keyframes/{keyframe_id}``: 204."""
    record = _keyframe(call)
    del state(call).records["keyframes"][record["id"]]
    return web.Response(status=204)


async def image(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/keyframes/{keyframe_id}/image``: the still as PNG bytes."""
    frame = _keyframe(call)["frame"]
    colour = (frame * 7 % 256, frame * 13 % 256, frame * 29 % 256)
    return web.Response(body=png(WIDTH, HEIGHT, colour), content_type="image/png")
