"""What an upstream said when it failed: its messages and its own error code.

Each adapter reads its upstream's error bodies (``Adapter.read_upstream_error``);
:func:`default_error_reader` knows the common JSON shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.web import jsoncodec


@dataclass(frozen=True, slots=True)
class UpstreamFault:
    """What an upstream said in an error answer: its messages and its own error code."""

    messages: Sequence[str] = ()
    code: str | None = None


ErrorReader = Callable[[int, str, bytes], UpstreamFault]
"""Turns an upstream error answer (status, content type, body) into an :class:`UpstreamFault`."""


def default_error_reader(status: int, content_type: str, body: bytes) -> UpstreamFault:
    """Messages (and a string ``code``) from common JSON error shapes; else short raw text."""
    if not body:
        return UpstreamFault()
    try:
        data = jsoncodec.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return UpstreamFault([text[:500]] if text and "html" not in content_type else [])
    messages: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            messages.append(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for key in ("errors", "error", "message", "detail", "error_description"):
                if key in value:
                    collect(value[key])

    collect(data)
    code = data.get("code") if isinstance(data, dict) else None
    return UpstreamFault(messages, code if isinstance(code, str) else None)
