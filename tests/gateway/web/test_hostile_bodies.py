"""Hostile bodies sent anonymously to ``/auth/login``: compressed, nested, over-long numbers.

Compressed bodies are refused with 415 before anything is read or inflated; bodies that
break the JSON parser are 400 problems that say what was wrong, logged without a traceback.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.support.fixtures import GatewayFactory
from tests.support.navigator import PROBLEM
from tests.support.problems import assert_problem

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def anonymous(gateway: GatewayFactory) -> TestClient[Any, Any]:
    """A gateway without backends, spoken to without credentials."""
    return await gateway(user=None)


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing was logged with a stack trace."""
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert "Traceback" not in record.getMessage()


async def post(client: TestClient[Any, Any], body: bytes, headers: dict[str, str]) -> Any:
    """POST ``body`` to ``/auth/login``; the problem answered."""
    response = await client.post("/auth/login", data=body, headers=headers)
    assert response.content_type == PROBLEM, await response.text()
    problem = await response.json(content_type=None)
    assert_problem(problem, response.status, response.headers["X-Request-Id"])
    return problem


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        # 16 MiB of JSON (over max_body_bytes) in 16 KiB: refused unread, never inflated.
        pytest.param("gzip", gzip.compress(b" " * 16 * 1024 * 1024, 9), id="gzip-bomb"),
        pytest.param("gzip", b"\x1f\x8b\x08\x00garbage, not gzip", id="gzip-garbage"),
        pytest.param("deflate", b"not deflate at all", id="deflate-garbage"),
        pytest.param("deflate", zlib.compress(b'{"username": "x"}'), id="deflate-valid"),
        pytest.param("br", b"\x0b\x02\x80{}\x03", id="brotli"),
        pytest.param("GZIP, identity", gzip.compress(b"{}"), id="listed-codings"),
    ],
)
async def test_compressed_bodies_are_415_before_they_are_read(
    anonymous: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    encoding: str,
    body: bytes,
) -> None:
    problem = await post(anonymous, body, {**JSON, "Content-Encoding": encoding})
    assert problem["status"] == 415
    assert "Content-Encoding" in problem["detail"]
    assert_no_traceback(caplog)


async def test_identity_content_encoding_is_read_as_usual(
    anonymous: TestClient[Any, Any],
) -> None:
    body = b'{"username": "nobody", "password": "not-the-password"}'
    problem = await post(anonymous, body, {**JSON, "Content-Encoding": "identity"})
    assert problem["status"] == 401


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param(b"[" * 1000 + b"]" * 1000, "nested", id="arrays-1000-deep"),
        pytest.param(b'{"a": ' * 5000 + b"1" + b"}" * 5000, "nested", id="objects-5000-deep"),
        pytest.param(b"[" * 150 + b"]" * 150, "nested", id="arrays-150-deep"),
        pytest.param(
            b'{"username": ' + b"9" * 5000 + b', "password": "x"}', "digits", id="5000-digits"
        ),
    ],
)
async def test_json_the_parser_cannot_take_is_400_logged_without_traceback(
    anonymous: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    detail: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    problem = await post(anonymous, body, JSON)
    assert problem["status"] == 400
    assert detail in problem["detail"]
    assert_no_traceback(caplog)
    lines = [r.getMessage() for r in caplog.records if problem["incident"] in r.getMessage()]
    assert len(lines) == 1, lines  # one line that says what was wrong
    assert problem["detail"] in lines[0]
    assert "\n" not in lines[0]
