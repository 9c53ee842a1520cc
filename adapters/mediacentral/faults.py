"""Reading the platform's error answers: its problem bodies and OAuth2 errors.

- Services answer ``application/vnd.avid.problem+json``: ``{code, message, params,
  status}``, where ``params.message`` may say more (``params.parameterName`` names a
  bad parameter).
- The platform gateway's 401 has the same ``code``/``message`` shape plus ``incident``
  and ``exchange`` ids, which are kept among the messages for whoever investigates.
- The OAuth2 token endpoint answers ``{error, error_description}``; ``error`` is the code.

Anything else is read by the core's default reader.
"""

from __future__ import annotations

import json
from typing import Any

from gateway.spi import UpstreamFault, default_error_reader


def text_or_none(value: Any) -> str | None:
    """A string with more than blanks in it, else None (the backend's own empty values)."""
    return value if isinstance(value, str) and value.strip() else None


def read_fault(status: int, content_type: str, body: bytes) -> UpstreamFault:
    """The messages and code of an error answer of the platform."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return default_error_reader(status, content_type, body)
    code = text_or_none(data.get("code"))
    if code is not None:
        messages: list[str] = []
        message = text_or_none(data.get("message"))
        if message:
            messages.append(message)
        params = data.get("params")
        if isinstance(params, dict):
            detail = text_or_none(params.get("message"))
            if detail and detail != message:
                messages.append(detail)
            name = text_or_none(params.get("parameterName"))
            if name:
                messages.append(f"parameter: {name}")
        for key in ("incident", "exchange"):
            value = text_or_none(data.get(key))
            if value:
                messages.append(f"{key}: {value}")
        return UpstreamFault(messages, code)
    error = text_or_none(data.get("error"))
    if error is not None:
        description = text_or_none(data.get("error_description"))
        return UpstreamFault([description] if description else [], error)
    return default_error_reader(status, content_type, body)
