"""What every problem document the gateway answers with must hold."""

from __future__ import annotations

from typing import Any

from gateway.web.statuses import ERROR_STATUSES


def assert_problem(body: dict[str, Any], status: int, incident: str) -> None:
    """A problem of ``status`` from the table, with every member, for ``incident``."""
    assert body["status"] == status
    assert status in ERROR_STATUSES
    assert {"type", "title", "detail", "code", "transient", "incident"} <= set(body)
    assert body["incident"] == incident
    assert "Traceback" not in str(body)
