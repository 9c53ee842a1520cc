"""Choosing a response media type from the Accept header."""

from __future__ import annotations

import pytest

from gateway.web.negotiation import choose, merge_vary

HAL = ("application/hal+json", "application/json")
DOCS = ("text/html", "application/hal+json", "application/json")


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        pytest.param(None, HAL, "application/hal+json", id="absent"),
        pytest.param("", HAL, "application/hal+json", id="empty"),
        pytest.param("*/*", HAL, "application/hal+json", id="anything"),
        pytest.param("application/hal+json", HAL, "application/hal+json", id="hal"),
        pytest.param("application/json", HAL, "application/json", id="json"),
        pytest.param("application/*", HAL, "application/hal+json", id="type-wildcard"),
        pytest.param(
            "application/prs.hal-forms+json, application/hal+json;q=0.9, application/json;q=0.8",
            HAL,
            "application/hal+json",
            id="ketting",
        ),
        pytest.param("text/html", HAL, None, id="html-only"),
        pytest.param("application/xml", HAL, None, id="xml-only"),
        pytest.param("application/hal+json;q=0", HAL, None, id="q-zero-refuses"),
        pytest.param("*/*, application/hal+json;q=0", HAL, "application/json", id="q-zero-one"),
        pytest.param(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            DOCS,
            "text/html",
            id="browser",
        ),
        pytest.param("application/json", DOCS, "application/json", id="program"),
        pytest.param("APPLICATION/HAL+JSON", HAL, "application/hal+json", id="case-insensitive"),
        pytest.param("application/json;q=oops", HAL, "application/json", id="bad-q-counts-as-1"),
    ],
)
def test_choose(accept: str | None, offered: tuple[str, ...], expected: str | None) -> None:
    assert choose(accept, offered) == expected


def test_vary_is_merged_without_duplicates() -> None:
    assert merge_vary(None, "Accept") == "Accept"
    assert merge_vary("accept, Origin", "Accept", "Authorization") == (
        "accept, Origin, Authorization"
    )
    assert merge_vary("*", "Origin") == "*"  # every field already
