"""Strong ETags, the If-None-Match / If-Match lists, and Vary."""

from __future__ import annotations

import pytest

from gateway.caching.etags import Condition, etag_of, match, none_match, parse

HAL = "application/hal+json"
BODY = b'{"name": "x"}'


def test_an_etag_is_strong_stable_and_names_the_media_type() -> None:
    tag = etag_of(HAL, BODY)
    assert tag[0] == tag[-1] == '"'  # strong: no W/
    assert tag == etag_of(HAL, BODY)
    assert tag != etag_of("application/json", BODY)
    assert tag != etag_of(HAL, BODY + b" ")
    # The type and body are kept apart: moving a byte across the boundary changes the tag.
    assert etag_of("a", b"bc") != etag_of("ab", b"c")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("*", Condition(any=True), id="star"),
        pytest.param(' "a" ', Condition(tags=((False, '"a"'),)), id="one"),
        pytest.param('W/"a", "b"', Condition(tags=((True, '"a"'), (False, '"b"'))), id="weak"),
        pytest.param('"a",,  "b" ,', Condition(tags=((False, '"a"'), (False, '"b"'))), id="empty"),
        pytest.param('"', Condition(), id="unclosed"),
        pytest.param("a", Condition(), id="unquoted"),
        pytest.param('"a" "b"', Condition(), id="no-comma"),
        pytest.param('"a", *', Condition(), id="star-in-list"),
        pytest.param('w/"a"', Condition(), id="lowercase-weak"),
        pytest.param("", Condition(), id="empty-value"),
    ],
)
def test_lists_parse_and_malformed_ones_name_nothing(value: str, expected: Condition) -> None:
    assert parse(value) == expected


def test_if_none_match_compares_weakly() -> None:
    tag = etag_of(HAL, BODY)
    assert none_match(tag, tag)
    assert none_match("W/" + tag, tag)
    assert none_match(f'"other", {tag}', tag)
    assert none_match("*", tag)
    assert not none_match('"other"', tag)
    assert not none_match(None, tag)
    assert not none_match(tag[:-1], tag)  # malformed: no match, a full answer


def test_if_match_compares_strongly() -> None:
    tag = etag_of(HAL, BODY)
    assert match(tag, {tag}, exists=True)
    assert match(f'"other", {tag}', {tag}, exists=True)
    assert not match("W/" + tag, {tag}, exists=True)
    assert not match('"other"', {tag}, exists=True)
    assert not match(tag, {tag}, exists=False)
    assert match("*", set(), exists=True)
    assert not match("*", set(), exists=False)
    assert not match("garbage", {tag}, exists=True)
