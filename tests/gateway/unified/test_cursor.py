"""Signed cursors: what a client gets, and what it cannot do with one."""

from __future__ import annotations

import re

import pytest

from gateway.unified.cursor import CursorCodec, fingerprint
from gateway.web.errors import BadRequest

KEY = "a-signing-key-of-at-least-32-bytes!!"
QUERY = fingerprint(q="interview", per_page=3)
REFUSED = (
    "the cursor is not one this gateway gave out for this query; start again from the first page"
)


def test_a_cursor_is_url_safe_text_whatever_its_length() -> None:
    codec = CursorCodec(KEY)
    # Payloads of every length modulo 3: base64 would pad some of them with "=".
    for size in range(6):
        data = {"q": QUERY, "at": list(range(size))}
        cursor = codec.encode(data)
        assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", cursor), cursor
        assert codec.decode(cursor, QUERY) == data


def _altered(cursor: str, how: str) -> str:
    payload, mac = cursor.split(".")
    other_payload = CursorCodec(KEY).encode({"q": QUERY, "at": [9, 9]}).split(".")[0]
    # Where the payload is a whole number of base64 quanta, a second dot is the only flaw.
    assert len(payload) % 4 == 0
    return {
        "stray-character": cursor + "!",
        "dot-in-the-payload": f"{payload[:6]}.{payload[6:]}.{mac}",
        "short-mac": f"{payload}.{mac[:-1]}",
        "other-payload": f"{other_payload}.{mac}",
        "no-mac": payload,
        "no-payload": "." + mac,
        "empty": "",
        "too-long": "x" * 5000,
    }[how]


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("stray-character", id="stray-character"),
        pytest.param("dot-in-the-payload", id="dot-in-the-payload"),
        pytest.param("short-mac", id="short-mac"),
        pytest.param("other-payload", id="other-payload"),
        pytest.param("no-mac", id="no-mac"),
        pytest.param("no-payload", id="no-payload"),
        pytest.param("empty", id="empty"),
        pytest.param("too-long", id="too-long"),
    ],
)
def test_an_altered_cursor_is_a_400_that_says_to_start_again(how: str) -> None:
    codec = CursorCodec(KEY)
    cursor = codec.encode({"q": QUERY, "at": [30, None]})
    with pytest.raises(BadRequest) as refused:
        codec.decode(_altered(cursor, how), QUERY)
    assert (refused.value.http_status, refused.value.detail) == (400, REFUSED)


def test_gateways_sharing_a_signing_key_read_each_others_cursors() -> None:
    # Replicas behind one load balancer: the next page may be asked of another one.
    cursor = CursorCodec(KEY).encode({"q": QUERY, "at": [3]})
    assert CursorCodec(KEY).decode(cursor, QUERY)["at"] == [3]
    # Without a signing key each process signs with a random key of its own.
    keyless = CursorCodec("").encode({"q": QUERY, "at": [3]})
    with pytest.raises(BadRequest):
        CursorCodec("").decode(keyless, QUERY)


def test_a_cursor_of_an_earlier_release_is_still_read() -> None:
    # A rolling upgrade: a client pages on with a cursor an older replica gave out,
    # for the query whose fingerprint is in it.
    made_earlier = (
        "eyJhdCI6WzMsbnVsbF0sImV4cCI6MTc2NzIyNTYwMCwicSI6ImQ4ZDA2YjA0NGQxYzAxNGUifQ"
        ".W6Va7cbMlN_FOk1J97xy0Q"
    )
    query = fingerprint(who="user:ana", backends=["avalon", "flex"], q="interview", per_page=3)
    data = CursorCodec(KEY).decode(made_earlier, query)
    assert data == {"q": query, "at": [3, None], "exp": 1767225600}


def test_the_fingerprint_of_a_query_does_not_depend_on_the_order_of_its_parameters() -> None:
    one = fingerprint(q="interview", per_page=3, who="user:ana")
    assert one == fingerprint(who="user:ana", per_page=3, q="interview")
    assert one != fingerprint(q="interview", per_page=4, who="user:ana")


def test_the_codec_never_shows_its_key() -> None:
    codec = CursorCodec(KEY)
    assert repr(codec) == "CursorCodec()"
    assert KEY not in repr(codec)
    assert KEY not in str(codec)
