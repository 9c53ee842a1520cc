"""Talking JSON with Flex: bodies in Flex's media type, answers checked for their shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from aiohttp import web

from gateway.bodies import read_json
from gateway.errors import BadRequest, UpstreamUnavailable
from gateway.upstream import UpstreamClient, UpstreamResponse

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


def object_of(response: UpstreamResponse) -> Json:
    """The answer's JSON object; any other answer is the upstream's fault (503)."""
    data = response.json()
    if not isinstance(data, dict):
        raise UpstreamUnavailable(
            f"backend {response.backend} answered with an unexpected document",
            backend=response.backend,
        )
    return data


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
