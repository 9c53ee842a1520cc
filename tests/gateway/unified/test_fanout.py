"""The pieces of the unified lists: the k-way merge and the signed cursor."""

from __future__ import annotations

import pytest

from gateway.unified.cursor import CursorCodec, fingerprint
from gateway.unified.fanout import merge, telling_error
from gateway.web.errors import (
    BadRequest,
    Forbidden,
    GatewayError,
    NotFound,
    UpstreamTimeout,
    for_status,
)


def _key(name: str, item: str) -> tuple[str, str]:
    return (item.casefold(), f"{name}:{item}")


def test_merge_takes_the_smallest_next_item_and_keeps_each_sequence_in_order() -> None:
    sequences = {"a": ["Apple", "cherry", "banana"], "b": ["Apricot", "Date"]}
    merged, taken = merge(sequences, _key, 4)
    assert merged == [("a", "Apple"), ("b", "Apricot"), ("a", "cherry"), ("a", "banana")]
    assert taken == {"a": 3, "b": 1}  # the next page goes on with b's "Date"


def test_merge_stops_where_a_source_with_more_runs_out() -> None:
    sequences = {"a": ["Alpha"], "b": ["Bravo", "Delta", "Echo"]}
    merged, taken = merge(sequences, _key, 3, more={"a": True, "b": False})
    # a's next item (unseen) might be "Charlie": nothing after "Alpha" may be taken yet.
    assert merged == [("a", "Alpha")]
    assert taken == {"a": 1, "b": 0}


def test_merging_page_by_page_gives_every_item_once() -> None:
    sequences = {"a": [f"a{i:02}" for i in range(7)], "b": [f"b{i:02}" for i in range(5)]}
    positions = {"a": 0, "b": 0}
    seen: list[str] = []
    while any(positions[n] < len(s) for n, s in sequences.items()):
        page = {n: s[positions[n] : positions[n] + 3] for n, s in sequences.items()}
        merged, taken = merge(page, _key, 3)
        seen.extend(item for _, item in merged)
        positions = {n: positions[n] + taken[n] for n in positions}
    assert sorted(seen) == sorted(sequences["a"] + sequences["b"])
    assert len(seen) == len(set(seen))


def test_a_cursor_opens_only_for_its_own_query_and_its_own_gateway() -> None:
    codec = CursorCodec("a-signing-key-of-at-least-32-bytes!!")
    query = fingerprint(q="interview", per_page=3)
    cursor = codec.encode({"q": query, "at": {"avalon": 3, "flex": None}})
    assert codec.decode(cursor, query)["at"] == {"avalon": 3, "flex": None}
    with pytest.raises(BadRequest):
        codec.decode(cursor, fingerprint(q="other", per_page=3))
    with pytest.raises(BadRequest):
        CursorCodec("another-signing-key-of-32-bytes!!!").decode(cursor, query)
    payload, mac = cursor.split(".")
    for forged in (payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + mac, "x" * 5000):
        with pytest.raises(BadRequest):
            codec.decode(forged, query)


def test_when_all_fail_the_list_answers_with_the_most_telling_status() -> None:
    slow = [UpstreamTimeout(f"{n} slow", backend=n) for n in ("a", "b")]
    missing: list[GatewayError] = [NotFound("c lost it"), NotFound("d lost it")]
    # Alike: their status. Mixed: what says the backends could not answer, never a 404.
    assert telling_error(missing, "assets").http_status == 404
    mixed = telling_error([slow[0], *missing], "assets")
    assert mixed.http_status == 408
    assert [b["status"] for b in mixed.extra["backends"]] == [408, 404, 404]
    refused: list[GatewayError] = [NotFound("c lost it"), Forbidden("d says no")]
    assert telling_error(refused, "assets").http_status == 503


# The statuses aiohttp raises itself and the problem middleware converts (405 has its own).
@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 415, 500, 501, 503])
def test_every_status_has_an_error_class_that_takes_a_detail(status: int) -> None:
    error = for_status(status)("what went wrong")
    assert error.http_status == status
    assert error.detail == "what went wrong"
