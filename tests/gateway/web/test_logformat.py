"""JSON log lines of a gateway serving requests on loopback: what each line names.

The command installs :class:`~gateway.web.logformat.JsonFormatter` (see
``tests/gateway/test_observability.py``); here it formats the records of a gateway
in this process, so that a bug's stack trace can be made to order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from gateway.auth.access import caller_name
from gateway.web.logformat import JsonFormatter
from gateway.web.routing import Route, add_route
from tests.support.fixtures import ConfigFactory, GatewayFactory


class _Kept(logging.Handler):
    """Keeps every formatted line."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def kept() -> Iterator[_Kept]:
    """The gateway's log records as worker 3 of a JSON-logging gateway would write them."""
    handler = _Kept()
    handler.setFormatter(JsonFormatter(worker=3, identity=caller_name))
    logger = logging.getLogger("gateway")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


async def _broken(request: web.Request) -> web.Response:
    """Fails as a bug would."""
    raise RuntimeError("the bug's own words")


def _routes(app: web.Application) -> None:
    add_route(app, Route("GET", "/broken/{id}", _broken))


async def test_an_unexpected_error_is_one_line_with_its_stack_as_a_field(
    gateway: GatewayFactory, make_config: ConfigFactory, kept: _Kept
) -> None:
    client = await gateway(make_config(backends={}), routes=_routes)
    answer = await client.get("/broken/42", headers={"X-Request-Id": "trace-7"})
    assert answer.status == 500
    assert "the bug's own words" not in await answer.text()
    assert all("\n" not in line for line in kept.lines)
    lines: list[dict[str, Any]] = [json.loads(line) for line in kept.lines]
    [bug] = [line for line in lines if line["level"] == "ERROR"]
    assert bug["exc_type"] == "RuntimeError"
    assert bug["stack"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: the bug's own words" in bug["stack"]
    assert "_broken" in bug["stack"]
    assert (bug["request_id"], bug["method"], bug["route"]) == ("trace-7", "GET", "/broken/{id}")
    assert (bug["status"], bug["identity"], bug["worker"]) == (500, "admin", 3)
    assert "backend" not in bug
    # The problem's own line follows, about the same request, with no stack of its own.
    [answered] = [line for line in lines if line.get("request_id") and line["level"] == "WARNING"]
    assert (answered["request_id"], answered["status"]) == ("trace-7", 500)
    assert "stack" not in answered
