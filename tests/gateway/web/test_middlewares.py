"""The middlewares over HTTP: negotiation, limits, bodies, problems, request ids."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from aiohttp import web

from gateway.backends.runtime import BACKENDS
from gateway.web.bodies import read_json
from gateway.web.routing import Route, add_route, hal_response
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import HAL, PROBLEM
from tests.support.problems import assert_problem


@pytest.mark.parametrize(
    "accept",
    [
        pytest.param("text/html", id="html"),
        pytest.param("application/xml", id="xml"),
        pytest.param("application/hal+json;q=0, application/json;q=0", id="q-zero"),
    ],
)
async def test_unacceptable_accept_gets_406(gateway: GatewayFactory, accept: str) -> None:
    client = await gateway()
    # Not the root: it sends a client that prefers HTML to the HAL browser.
    response = await client.get("/backends", headers={"Accept": accept})
    assert response.status == 406
    assert response.content_type == PROBLEM
    assert_problem(await response.json(), 406, response.headers["X-Request-Id"])


@pytest.mark.parametrize(
    "accept",
    [
        pytest.param(None, id="absent"),
        pytest.param("*/*", id="any"),
        pytest.param("application/json", id="json"),
        pytest.param("application/hal+json", id="hal"),
    ],
)
async def test_acceptable_accept_gets_hal(gateway: GatewayFactory, accept: str | None) -> None:
    client = await gateway()
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/", headers=headers, skip_auto_headers=["Accept"])
    assert response.status == 200
    assert response.content_type == HAL


def _test_routes(app: web.Application) -> None:
    async def echo(request: web.Request) -> web.Response:
        return hal_response({"echo": await read_json(request)}, status=201)

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals: password=hunter2")

    add_route(app, Route("POST", "/test/echo", echo))
    add_route(app, Route("PUT", "/test/echo", echo))
    add_route(app, Route("GET", "/test/boom", boom))


async def test_unknown_route_is_a_404_problem(gateway: GatewayFactory) -> None:
    client = await gateway()
    response = await client.get("/nothing/here")
    assert response.status == 404
    assert response.content_type == PROBLEM
    body = await response.json()
    assert_problem(body, 404, response.headers["X-Request-Id"])
    assert body["title"] == "Not found"
    assert body["transient"] is False
    assert body["code"] == "not-found"


async def test_wrong_method_is_a_405_problem_with_allow(gateway: GatewayFactory) -> None:
    client = await gateway(routes=_test_routes)
    response = await client.delete("/test/echo")
    assert response.status == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "PUT"}
    assert_problem(await response.json(), 405, response.headers["X-Request-Id"])


async def test_body_over_the_limit_is_413(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"max_body_bytes": 100}), routes=_test_routes)
    response = await client.post("/test/echo", json={"data": "x" * 200})
    assert response.status == 413
    body = await response.json()
    assert_problem(body, 413, response.headers["X-Request-Id"])
    assert "the limit is 100" in body["detail"]


async def test_chunked_body_over_the_limit_is_413(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"max_body_bytes": 100}), routes=_test_routes)

    async def chunks() -> Any:
        for _ in range(10):
            yield b'{"a": "' + b"x" * 50 + b'"}'

    response = await client.post(
        "/test/echo", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    assert response.content_type == PROBLEM


async def test_uri_over_the_limit_is_414(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"max_uri_bytes": 300}))
    response = await client.get("/?" + "q" * 400)
    assert response.status == 414
    assert_problem(await response.json(), 414, response.headers["X-Request-Id"])
    assert (await client.get("/?" + "q" * 200)).status == 200


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/plain", id="text"),
        pytest.param("application/xml", id="xml"),
        pytest.param("application/x-www-form-urlencoded", id="form"),
    ],
)
async def test_unsupported_body_type_is_415(gateway: GatewayFactory, content_type: str) -> None:
    client = await gateway(routes=_test_routes)
    for method in ("POST", "PUT"):
        response = await client.request(
            method, "/test/echo", data=b"{}", headers={"Content-Type": content_type}
        )
        assert response.status == 415
        body = await response.json()
        assert_problem(body, 415, response.headers["X-Request-Id"])
        assert content_type in body["detail"]


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        pytest.param(b'{"a": ', "not valid JSON", id="truncated"),
        pytest.param(b"{'a': 1}", "not valid JSON", id="single-quotes"),
        pytest.param(b"   ", "empty", id="blank"),
        pytest.param(b'{"a": "\xff"}', "not UTF-8", id="not-utf8"),
    ],
)
async def test_malformed_json_is_400(gateway: GatewayFactory, raw: bytes, detail: str) -> None:
    client = await gateway(routes=_test_routes)
    response = await client.post(
        "/test/echo", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    body = await response.json()
    assert_problem(body, 400, response.headers["X-Request-Id"])
    assert detail in body["detail"]


async def test_well_formed_json_passes(gateway: GatewayFactory) -> None:
    client = await gateway(routes=_test_routes)
    response = await client.post("/test/echo", json={"a": [1, 2]})
    assert response.status == 201
    assert (await response.json())["echo"] == {"a": [1, 2]}


async def test_unexpected_exception_is_500_logged_without_trace(
    gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = await gateway(routes=_test_routes)
    with caplog.at_level(logging.ERROR, logger="gateway.web.middlewares"):
        response = await client.get("/test/boom")
    assert response.status == 500
    body = await response.json()
    incident = response.headers["X-Request-Id"]
    assert_problem(body, 500, incident)
    assert "hunter2" not in await response.text()
    assert incident in body["detail"]
    assert any(incident in record.getMessage() for record in caplog.records)


async def test_request_id_is_generated_and_matches_the_incident(gateway: GatewayFactory) -> None:
    client = await gateway()
    ok = await client.get("/")
    uuid.UUID(ok.headers["X-Request-Id"])
    missing = await client.get("/nope")
    assert (await missing.json())["incident"] == missing.headers["X-Request-Id"]
    assert missing.headers["X-Request-Id"] != ok.headers["X-Request-Id"]


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        pytest.param("abc-123.DEF_4:5", True, id="well-formed"),
        pytest.param("x" * 129, False, id="too-long"),
        pytest.param("has space", False, id="space"),
        pytest.param("<script>", False, id="markup"),
    ],
)
async def test_incoming_request_id_is_kept_only_when_well_formed(
    gateway: GatewayFactory, incoming: str, kept: bool
) -> None:
    client = await gateway()
    response = await client.get("/nope", headers={"X-Request-Id": incoming})
    rid = response.headers["X-Request-Id"]
    assert (rid == incoming) is kept
    assert (await response.json())["incident"] == rid


@pytest.mark.parametrize(
    ("upstream_status", "status", "transient"),
    [
        pytest.param(422, 400, False, id="validation"),
        pytest.param(410, 404, False, id="gone"),
        # The call is a POST: a proxy's 504 leaves its outcome unknown, so not transient.
        pytest.param(504, 408, False, id="upstream-gateway-timeout"),
        pytest.param(500, 500, False, id="server-error"),
    ],
)
async def test_upstream_errors_become_problems_with_the_upstream_messages(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    upstream: Any,
    upstream_status: int,
    status: int,
    transient: bool,
) -> None:
    async def fail(request: web.Request) -> web.Response:
        return web.json_response(
            {"errors": ["upstream says no", "key t-secret rejected"]}, status=upstream_status
        )

    fake = web.Application()
    fake.router.add_route("*", "/{tail:.*}", fail)
    url = await upstream(fake)
    config = make_config(
        backends={"up": {"kind": "azure", "url": url, "token": "t-secret", "retries": 0}}
    )

    def routes(app: web.Application) -> None:
        async def call(request: web.Request) -> web.Response:
            await app[BACKENDS].backends["up"].client.request("POST", "/api/Videos")
            return web.Response()

        add_route(app, Route("GET", "/test/call", call))

    client = await gateway(config, routes=routes)
    response = await client.get("/test/call")
    assert response.status == status
    assert response.content_type == PROBLEM
    body = await response.json()
    assert_problem(body, status, response.headers["X-Request-Id"])
    assert body["transient"] is transient
    assert (body["backend"], body["upstream_status"]) == ("up", upstream_status)
    assert body["errors"] == ["upstream says no", "key *** rejected"]
    assert url not in await response.text()
