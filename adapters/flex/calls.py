"""Talking JSON with Flex: bodies in Flex's media type, request bodies checked, 201s."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from aiohttp import web

from gateway.spi import BadRequest, UpstreamClient, UpstreamResponse, hal, hal_response, read_json

MEDIA_TYPE: Final = "application/vnd.nativ.mio.v1+json"

Json = dict[str, Any]


async def send(
    client: UpstreamClient, method: str, path: str, body: Any, *, ok: Sequence[int] = ()
) -> UpstreamResponse:
    """``method path`` with a JSON body in Flex's own media type."""
    return await client.request(
        method,
        path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": MEDIA_TYPE},
        ok=ok,
    )


def created(doc: hal.Resource) -> web.Response:
    """201 with the new resource, and ``Location`` when it has a ``self`` link to give."""
    where = doc.href("self")
    return hal_response(doc, status=201, headers={"Location": where} if where else None)


async def json_object(request: web.Request) -> Json:
    """The request body, which must be a JSON object."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def integer(body: Json, key: str, *, required: bool = True) -> int | None:
    """An integer member of a request body; 400 when it is missing (if required) or not one."""
    value = body.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{key} must be an integer")
    return value
