"""Talking JSON with Flex: every call checked for refusals, bodies in Flex's media type.

Flex sometimes refuses a request in a 2xx answer: status 200 and the body of its error
answers, ``{"errors": {"error": "..."}}`` (a recorded ``POST .../actions`` that could not
enable the object; a recorded ``PUT .../configuration`` that could not store it). Every
call the adapter makes goes through :func:`ask`, which turns such an answer into
:class:`RefusedInAnswer`, a 400 problem that says the upstream's status was 200, so a
refusal never reaches a client as a success.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from aiohttp import web

from gateway.spi import (
    BadRequest,
    UpstreamClient,
    UpstreamResponse,
    UpstreamStatusError,
    hal,
    hal_response,
    read_json,
)

MEDIA_TYPE: Final = "application/vnd.nativ.mio.v1+json"

Json = dict[str, Any]


class RefusedInAnswer(UpstreamStatusError):
    """Flex refused the request in a 2xx answer carrying ``errors``: a 400, like its others."""

    @property
    def http_status(self) -> int:
        """Flex words its refusals of a request's content as 400s; this is one of them."""
        return 400


def _errors_in(response: UpstreamResponse) -> bool:
    # The recorded refusals are JSON objects; one recorded 200 even came labelled text/html.
    if not response.body.lstrip().startswith(b"{"):
        return False
    try:
        data = json.loads(response.body)
    except ValueError:
        return False
    return isinstance(data, dict) and "errors" in data


async def ask(client: UpstreamClient, method: str, path: str, **options: Any) -> UpstreamResponse:
    """``client.request(method, path, **options)``; a 2xx answer with ``errors`` raises."""
    response = await client.request(method, path, **options)
    if 200 <= response.status < 300 and _errors_in(response):
        said = client.status_error(response)
        raise RefusedInAnswer(
            f"backend {client.backend} refused the request (in an answer of status "
            f"{response.status})",
            backend=client.backend,
            upstream_status=response.status,
            errors=said.errors,
            upstream_code=said.upstream_code,
        )
    return response


async def send(
    client: UpstreamClient, method: str, path: str, body: Any, *, ok: Sequence[int] = ()
) -> UpstreamResponse:
    """``method path`` with a JSON body in Flex's own media type."""
    return await ask(
        client,
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
