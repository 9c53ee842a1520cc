"""Metadata bodies that once broke the gateway (500s), sent by an editor: now 400 problems.

XML nested thousands of levels deep overflowed the guard's recursion; JSON nested as deep
or with integers past Python's digit limit broke the parser. Each is refused before
anything reaches Flex, with a problem that says what was wrong and no logged traceback.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapters.flex.simulator import FlexSimulator
from tests.support.fixtures import SignedIn
from tests.support.flex.fixtures import NEWS
from tests.support.flex.navigator import PROBLEM, XML, Navigator


def nested_xml(depth: int) -> bytes:
    """A metadata document ``depth`` elements deep."""
    return b"<metadata>" + b"<a>" * depth + b"x" + b"</a>" * depth + b"</metadata>"


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        pytest.param(nested_xml(10_000), XML, "nested", id="xml-10000-deep"),
        pytest.param(nested_xml(200), XML, "nested", id="xml-200-deep"),
        pytest.param(
            b'{"instance": {"metadata": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
            "application/json",
            "nested",
            id="json-1000-deep",
        ),
        pytest.param(
            b'{"instance": {"metadata": {"title": ' + b"7" * 5000 + b"}}}",
            "application/json",
            "digits",
            id="json-5000-digits",
        ),
    ],
)
async def test_bodies_the_parsers_cannot_take_are_400_and_never_sent(
    client: TestClient[Any, Any],
    signed_in: SignedIn[Navigator],
    simulator: FlexSimulator,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    detail: str,
) -> None:
    editor = signed_in(client, "editor", Navigator)
    news = await editor.asset(NEWS)
    metadata = await editor.follow(news, "flex:metadata")
    response, problem = await editor.request(
        "PUT", metadata["_links"]["self"]["href"], data=body, headers={"Content-Type": content_type}
    )
    assert response.status == 400, problem
    assert response.content_type == PROBLEM
    assert detail in problem["detail"]
    assert "upstream_status" not in problem  # refused by the gateway, never sent
    assert all(record.exc_info is None for record in caplog.records)
    assert (await editor.follow(news, "flex:metadata"))["instance"] == metadata["instance"]
