"""Reading request bodies: size-limited, type-checked, parsed, with clear errors."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.errors import MalformedBody


async def read_json(request: web.Request) -> Any:
    """The request body parsed as JSON.

    The size limit is the app's ``client_max_size`` (``server.max_body_bytes``; 413
    above it, raised by aiohttp and converted by the problem middleware). An empty
    or unparsable body is a 400 that says where parsing stopped.
    """
    raw = await request.read()
    if not raw.strip():
        raise MalformedBody("the request body is empty; a JSON document is expected")
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise MalformedBody("the request body is not UTF-8 encoded") from exc
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
