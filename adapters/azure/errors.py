"""What the connector and its storage say when they fail.

The connector answers errors as ASP.NET Web API does, ``{"Message": "...",
"ExceptionMessage": "...", "ModelState": {...}}``, of which ``Message`` and the
``ModelState`` messages are passed on; its blob storage as Azure Storage does,
``<Error><Code>...</Code><Message>...</Message></Error>``; its token endpoint as RFC 6749
section 5.2 says, ``{"error": "<code>", "error_description": "..."}``. Anything else falls
back to the gateway's reader of common JSON shapes.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gateway.spi import UpstreamFault, default_error_reader


def _storage_fault(body: bytes) -> UpstreamFault:
    # defusedxml: an upstream error body is still input, entity tricks included.
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException):
        return UpstreamFault()
    message = (root.findtext("Message") or "").strip()[:500]
    code = (root.findtext("Code") or "").strip()
    return UpstreamFault([message] if message else [], code or None)


def _model_state(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return []
    return [str(m) for messages in value.values() if isinstance(messages, list) for m in messages]


def read_error(status: int, content_type: str, body: bytes) -> UpstreamFault:
    """Messages and code of a connector or storage error answer."""
    if "xml" in content_type:
        return _storage_fault(body)
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("Message"), str):
        # ExceptionMessage, ExceptionType, StackTrace and MessageDetail describe the
        # connector's internals (types, routes, server paths): never passed on.
        messages = [data["Message"], *_model_state(data.get("ModelState"))]
        code = data.get("Code")
        return UpstreamFault(messages, code if isinstance(code, str) else None)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        description = data.get("error_description")
        message = description if isinstance(description, str) and description else data["error"]
        return UpstreamFault([message], data["error"])
    return default_error_reader(status, content_type, body)
