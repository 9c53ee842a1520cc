"""The JSON codec reads and writes what the standard library does, and loses nothing."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from gateway.web import jsoncodec

EDGE_DOCUMENTS = [
    pytest.param(b'{"id": 123456789012345678901234567890}', id="integer-past-64-bits"),
    pytest.param(b"[-9223372036854775809]", id="integer-below-int64"),
    pytest.param(b"[18446744073709551615, 9223372036854775807]", id="largest-64-bit-integers"),
    pytest.param(b'{"label": "1234567890123456789012", "n": 7}', id="long-digits-in-a-string"),
    pytest.param(b"[0.1, 1e-7, 2.5e300, -0.0, 12345.5]", id="floats"),
    pytest.param(b'"\\ud800"', id="lone-surrogate-escape"),
    pytest.param(b"[NaN, Infinity, -Infinity]", id="non-finite-literals"),
    pytest.param(b"1e400", id="float-past-range"),
    pytest.param(b'\xef\xbb\xbf{"a": 1}', id="utf8-byte-order-mark"),
    pytest.param(b'{"a": 1, "a": 2}', id="duplicate-keys"),
    pytest.param('{"t": "é ✓ 𝄞"}'.encode(), id="non-ascii"),
]


@pytest.mark.parametrize("raw", EDGE_DOCUMENTS)
def test_loads_gives_exactly_what_the_standard_library_gives(raw: bytes) -> None:
    got, want = jsoncodec.loads(raw), json.loads(raw)
    # repr: NaN != NaN, and 1 == 1.0 would hide an integer turned into a float.
    assert repr(got) == repr(want)


def test_a_long_integer_survives_a_round_trip_digit_for_digit() -> None:
    raw = b'{"id":123456789012345678901234567890,"n":-98765432109876543210}'
    assert jsoncodec.dumps(jsoncodec.loads(raw)) == raw


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{", id="truncated"),
        pytest.param(b"[1,]", id="trailing-comma"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b"1" * 5000, id="integer-past-the-int-str-limit"),
    ],
)
def test_loads_fails_where_the_standard_library_fails(raw: bytes) -> None:
    try:
        json.loads(raw)
    except ValueError as exc:
        stdlib = exc
    else:
        pytest.fail("the standard library took it")
    with pytest.raises(type(stdlib), match=f"^{re.escape(str(stdlib))}$"):
        jsoncodec.loads(raw)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"id": 2**70, "neg": -(2**64)}, id="integers-past-64-bits"),
        pytest.param({1: "int key", "b": [1, 2]}, id="non-string-keys"),
        pytest.param({"s": "\ud800"}, id="lone-surrogate"),
        pytest.param({"t": "é ✓ 𝄞", "n": [0.1, -3, True, None]}, id="plain"),
    ],
)
def test_dumps_writes_valid_json_that_reads_back_the_same(value: Any) -> None:
    raw = jsoncodec.dumps(value)
    assert isinstance(raw, bytes)
    assert json.loads(raw) == json.loads(json.dumps(value))


def test_dumps_sorts_keys_when_asked_and_writes_compact_utf8() -> None:
    assert jsoncodec.dumps({"b": 1, "a": "é"}, sort_keys=True) == '{"a":"é","b":1}'.encode()
    assert jsoncodec.dumps({"b": 1, "a": 2}) == b'{"b":1,"a":2}'


def test_non_finite_floats_are_written_as_null_which_is_json() -> None:
    raw = jsoncodec.dumps([math.nan, math.inf, -math.inf, 1.5])
    assert raw == b"[null,null,null,1.5]"


def test_what_neither_writer_takes_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        jsoncodec.dumps({"x": object()})
