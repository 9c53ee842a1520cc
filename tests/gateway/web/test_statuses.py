"""The documented status table and the upstream-status mapping."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from gateway.web import statuses

REFERENCE: Final = Path(__file__).parent / "data" / "status-table.txt"
"""The status-code table of the Azure Media Services Connector API reference, its rows
copied verbatim."""
REMARKS: Final = {
    500: " This should be used only in situations that are not covered by above options."
}
"""Advice the reference writes after a row's condition; the gateway's table leaves it out."""


def test_table_matches_the_reference_document() -> None:
    rows = {}
    for line in REFERENCE.read_text().splitlines():
        match = re.fullmatch(r"(\d{3}) \| (.+?) \| (.+?) \| (Yes|No|n/a) \|", line)
        if match:
            status, condition, methods, transient = match.groups()
            rows[int(status)] = (condition, methods, {"Yes": True, "No": False}.get(transient))
    assert len(rows) == 21, "the reference table did not parse"
    assert set(rows) == set(statuses.DOCUMENTED)
    for status, (condition, methods, transient) in rows.items():
        row = statuses.DOCUMENTED[status]
        assert row.status == status
        assert row.condition + REMARKS.get(status, "") == condition, status
        assert (row.methods, row.transient) == (methods, transient), status


def test_the_added_rows_are_a_form_posts_next_page_and_login_throttling() -> None:
    assert list(statuses.ADDED_ROWS) == [303, 429]
    assert statuses.row(303).transient is None  # a success, like the table's 3xx
    assert statuses.row(429).transient is True
    assert not set(statuses.ADDED_ROWS) & set(statuses.DOCUMENTED)


@pytest.mark.parametrize("upstream_status", range(400, 600))
def test_every_upstream_error_status_maps_into_the_table(upstream_status: int) -> None:
    mapped = statuses.map_upstream_status(upstream_status)
    assert mapped in statuses.ERROR_STATUSES


@pytest.mark.parametrize(
    ("upstream_status", "expected"),
    [
        pytest.param(422, 400, id="validation-is-bad-request"),
        pytest.param(410, 404, id="gone-is-not-found"),
        pytest.param(404, 404, id="not-found"),
        pytest.param(409, 409, id="conflict"),
        pytest.param(429, 503, id="rate-limited"),
        pytest.param(500, 500, id="server-error"),
        pytest.param(502, 503, id="bad-gateway"),
        pytest.param(503, 503, id="unavailable"),
        pytest.param(504, 408, id="gateway-timeout"),
        pytest.param(418, 400, id="unlisted-4xx-nearest"),
        pytest.param(599, 500, id="unlisted-5xx-nearest"),
    ],
)
def test_documented_mappings(upstream_status: int, expected: int) -> None:
    assert statuses.map_upstream_status(upstream_status) == expected


def test_timeouts_and_conflicts_are_transient_others_not() -> None:
    assert statuses.row(408).transient is True
    assert statuses.row(409).transient is True
    assert statuses.row(400).transient is False
    assert statuses.row(503).transient is False
