"""Choosing a response media type from the Accept header."""

from __future__ import annotations

import itertools
from pathlib import Path

import hypothesis.configuration
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.web.negotiation import choose, merge_vary
from tests.support.fixtures import GatewayFactory

HAL = ("application/hal+json", "application/json")
PROBLEM = "application/problem+json"
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


def test_vary_names_each_added_field_once_however_it_is_spelled() -> None:
    assert merge_vary(None, "Accept", "accept", "ACCEPT") == "Accept"
    assert merge_vary("Origin", "Accept", "Accept") == "Origin, Accept"


# --- the order of the ranges in Accept never matters -------------------------------------

FORMS = ("application/hal+json", "application/json", "application/prs.hal-forms+json")
"""What a HAL route offers (HAL, JSON, HAL-FORMS)."""


@pytest.mark.parametrize(
    ("ranges", "offered", "expected"),
    [
        pytest.param(
            ["application/hal+json;q=0", "*/*"], HAL, "application/json", id="exact-refusal"
        ),
        pytest.param(["*/*", "application/*;q=0"], HAL, None, id="type-refusal-beats-any"),
        pytest.param(
            ["application/*;q=0", "*/*", "application/json"],
            HAL,
            "application/json",
            id="exact-beats-type-refusal",
        ),
        pytest.param(
            ["text/*;q=0.2", "text/html;q=0", "*/*;q=0.5"],
            DOCS,
            "application/hal+json",
            id="html-refused-text-not-best",
        ),
        pytest.param(
            ["application/json;q=0.4", "application/*;q=0.9", "application/hal+json;q=0.3"],
            HAL,
            "application/json",
            id="specific-quality-decides",
        ),
        pytest.param(
            ["application/prs.hal-forms+json", "application/hal+json;q=0.9", "*/*;q=0.1"],
            FORMS,
            "application/prs.hal-forms+json",
            id="hal-forms-preferred",
        ),
        pytest.param(
            ["application/json;q=0", "application/json", "text/html"],
            HAL,
            "application/json",
            id="range-listed-twice",
        ),
        pytest.param(
            ["application/hal+json;q=nan", "application/json;q=0.5"],
            HAL,
            "application/hal+json",
            id="malformed-quality-counts-as-1",
        ),
    ],
)
def test_every_order_of_the_ranges_chooses_the_same(
    ranges: list[str], offered: tuple[str, ...], expected: str | None
) -> None:
    """RFC 9110 12.5.1: the most specific range that matches a type gives its quality,
    wherever it stands in the list."""
    for order in itertools.permutations(ranges):
        assert choose(", ".join(order), offered) == expected, order


RANGES = st.sampled_from(
    [
        "application/hal+json",
        "application/json",
        "application/prs.hal-forms+json",
        "application/*",
        "text/html",
        "text/*",
        "*/*",
    ]
)
QUALITIES = st.sampled_from(
    ["", ";q=0", ";q=0.1", ";q=0.5", ";q=0.9", ";q=1", ";q=oops", ";q=nan", ";q=2", ";q=-1"]
)
ACCEPT_LISTS = st.lists(st.tuples(RANGES, QUALITIES).map("".join), min_size=1, max_size=6)


def test_the_choice_never_depends_on_the_order_of_accept(tmp_path: Path) -> None:
    # A machine busy with other work must not fail it for slowness: nothing here is timed.
    @settings(
        derandomize=True,
        database=None,
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(ranges=ACCEPT_LISTS, data=st.data())
    def check(ranges: list[str], data: st.DataObject) -> None:
        shuffled = data.draw(st.permutations(ranges))
        for offered in (HAL, DOCS, FORMS):
            assert choose(", ".join(ranges), offered) == choose(", ".join(shuffled), offered)

    # Hypothesis' own files out of the source tree.
    hypothesis.configuration.set_hypothesis_home_dir(tmp_path / "hypothesis")
    try:
        check()
    finally:
        hypothesis.configuration.set_hypothesis_home_dir(None)


@pytest.mark.parametrize(
    ("path", "accept", "status", "content_type"),
    [
        pytest.param("/rels/backend", "application/*;q=0, */*", 200, "text/html", id="json-first"),
        pytest.param("/rels/backend", "*/*, application/*;q=0", 200, "text/html", id="json-last"),
        pytest.param("/rels/backend", "*/*;q=0.1, text/*", 200, "text/html", id="html-preferred"),
        pytest.param("/backends", "*/*, application/*;q=0", 406, PROBLEM, id="type-refused-last"),
        pytest.param("/backends", "application/*;q=0, */*", 406, PROBLEM, id="type-refused-first"),
    ],
)
async def test_a_refused_type_is_never_answered(
    gateway: GatewayFactory, path: str, accept: str, status: int, content_type: str
) -> None:
    """HAL routes answer HAL for JSON too (the same document); what a client refuses
    outright, it never gets, wherever the refusal stands in its Accept."""
    client = await gateway()
    response = await client.get(path, headers={"Accept": accept})
    assert response.status == status
    assert response.content_type == content_type


HAL_FIRST = ("application/hal+json", "application/json")


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        pytest.param(
            " , application/json",
            ("text/html", "application/json"),
            "application/json",
            id="empty-range-skipped",
        ),
        pytest.param(
            "application/json;q=1, application/hal+json",
            ("application/json", "application/hal+json"),
            "application/json",
            id="no-q-is-q1",
        ),
        pytest.param(
            "application/json;q=5, application/hal+json", HAL_FIRST, HAL_FIRST[0], id="q5"
        ),
        pytest.param(
            "application/json;q=1.5, application/hal+json", HAL_FIRST, HAL_FIRST[0], id="q1.5"
        ),
        pytest.param(
            "application/json;q=0.1;q=1=1, application/hal+json;q=0.5",
            HAL_FIRST,
            "application/json",
            id="malformed-q-after-a-q",
        ),
    ],
)
def test_a_missing_or_malformed_quality_counts_as_1(
    accept: str, offered: tuple[str, ...], expected: str
) -> None:
    assert choose(accept, offered) == expected


@pytest.mark.parametrize("accept", [None, "", "application/json"])
def test_nothing_offered_is_nothing_chosen(accept: str | None) -> None:
    assert choose(accept, ()) is None
