"""The Azure backend in front of connectors that answer otherwise than the simulator.

A small stand-in connector on a loopback port plays each: one that fails one video's
status, one that pages or counts in other ways, one with unexpected shapes, one that is
down, drops connections or is too slow.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from adapters.azure import errors
from adapters.azure.simulator import AzureSimulator
from tests.support.azure.fixtures import TOKEN, Connect, SimFactory
from tests.support.azure.navigator import PROBLEM, Navigator
from tests.support.fixtures import ConfigFactory, GatewayFactory

Serve = Callable[[web.Application], Awaitable[str]]
VIDEOS = [
    {"ID": f"v{n}", "OriginalFileName": f"clip-{n}.mp4", "ContentProtectionMode": "None"}
    for n in range(5)
]


def _connector(
    *,
    listing: Callable[[web.Request], Any],
    status: Callable[[str], Any] | None = None,
    token: Any = "t0ken",
    formats: Any = None,
) -> web.Application:
    """A stand-in connector: ``listing`` answers ``GET /api/Videos``."""

    async def videos(request: web.Request) -> web.Response:
        return web.json_response(listing(request))

    async def one(request: web.Request) -> web.Response:
        found = next((v for v in VIDEOS if v["ID"] == request.match_info["id"]), None)
        if found is None:
            return web.json_response({"Message": "No such video."}, status=404)
        return web.json_response(found)

    async def video_status(request: web.Request) -> web.Response:
        answer = (status or (lambda _: {"State": "Uploading", "Progress": 0}))(
            request.match_info["id"]
        )
        if isinstance(answer, int):
            return web.json_response({"Message": "Status is broken."}, status=answer)
        return web.json_response(answer)

    async def authorization(request: web.Request) -> web.Response:
        return web.json_response(token)

    async def formats_list(request: web.Request) -> web.Response:
        return web.json_response([] if formats is None else formats)

    app = web.Application()
    app.router.add_get("/api/Videos", videos)
    app.router.add_get("/api/Videos/{id}", one)
    app.router.add_get("/api/Videos/{id}/Status", video_status)
    app.router.add_get("/api/Videos/{id}/AuthorizationToken", authorization)
    app.router.add_get("/api/Formats", formats_list)
    return app


def _odata(request: web.Request, count: Any = None) -> Any:
    skip = int(request.query.get("$skip", 0))
    top = int(request.query.get("$top", len(VIDEOS)))
    page = VIDEOS[skip : skip + top]
    return page if count is None else {"@odata.count": count, "value": page}


async def _navigator(
    serve: Serve, gateway: GatewayFactory, make_config: ConfigFactory, app: web.Application
) -> Navigator:
    url = await serve(app)
    table = {"kind": "azure", "url": url, "token": TOKEN, "retries": 0}
    return Navigator(await gateway(make_config(backends={"azure": table})))


async def _all_names(nav: Navigator, per_page: int) -> tuple[list[str], list[int]]:
    page = await nav.follow(await nav.backend(), "azure:videos", per_page=per_page)
    names: list[str] = []
    totals: list[int] = []
    while True:
        names += [v["filename"] for v in page["_embedded"]["azure:video"]]
        totals.append(page["page"]["totalElements"])
        if "next" not in page["_links"]:
            return names, totals
        page = await nav.follow(page, "next")


@pytest.mark.parametrize(
    "listing",
    [
        pytest.param(lambda r: VIDEOS, id="ignores-every-option"),
        pytest.param(_odata, id="pages-but-does-not-count"),
        pytest.param(lambda r: _odata(r, count=len(VIDEOS)), id="counts"),
        pytest.param(lambda r: _odata(r, count=str(len(VIDEOS))), id="counts-as-text"),
        pytest.param(lambda r: {"value": _odata(r)}, id="pages-in-value-without-count"),
    ],
)
@pytest.mark.parametrize("per_page", [pytest.param(2, id="2"), pytest.param(5, id="5")])
async def test_every_video_is_listed_once_however_the_connector_pages(
    upstream: Serve,
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    listing: Callable[[web.Request], Any],
    per_page: int,
) -> None:
    nav = await _navigator(upstream, gateway, make_config, _connector(listing=listing))
    names, totals = await _all_names(nav, per_page)
    assert names == [v["OriginalFileName"] for v in VIDEOS]
    assert set(totals) == {len(VIDEOS)}


@pytest.mark.parametrize(
    "count",
    [
        pytest.param("many", id="text"),
        pytest.param(-1, id="negative"),
        pytest.param(True, id="boolean"),
        pytest.param(2.5, id="fraction"),
        pytest.param("\u00b9\u00b2", id="superscript-digits"),
    ],
)
async def test_an_unusable_count_is_a_503(
    upstream: Serve, gateway: GatewayFactory, make_config: ConfigFactory, count: Any
) -> None:
    app = _connector(listing=lambda r: _odata(r, count=count))
    nav = await _navigator(upstream, gateway, make_config, app)
    problem = await nav.problem("GET", nav.href(await nav.backend(), "azure:videos"), 503)
    assert "count" in problem["detail"]


async def test_a_video_whose_status_fails_shows_no_status_and_the_page_stays(
    upstream: Serve, gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    app = _connector(
        listing=lambda r: _odata(r, count=len(VIDEOS)),
        status=lambda vid: 500 if vid == "v1" else {"State": "Encoding", "Progress": 7},
    )
    nav = await _navigator(upstream, gateway, make_config, app)
    page = await nav.follow(await nav.backend(), "azure:videos")
    items = page["_embedded"]["azure:video"]
    assert [v["id"] for v in items] == [v["ID"] for v in VIDEOS]
    assert [(v["status"], v["progress"]) for v in items] == [
        ("Encoding", 7),
        (None, None),
        ("Encoding", 7),
        ("Encoding", 7),
        ("Encoding", 7),
    ]
    assert "azure:upload" not in items[1]["_links"]
    # The video itself answers with the connector's failure.
    response, problem = await nav.request("GET", items[1]["_links"]["self"]["href"])
    assert response.status == 500
    assert problem["errors"] == ["Status is broken."]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param({"Token": None}, id="object-without-token"),
        pytest.param(["a"], id="list"),
    ],
)
async def test_an_unusable_authorization_token_is_a_503(
    upstream: Serve, gateway: GatewayFactory, make_config: ConfigFactory, token: Any
) -> None:
    app = _connector(listing=lambda r: VIDEOS, token=token)
    nav = await _navigator(upstream, gateway, make_config, app)
    href = await nav.registered("azure:video", id="v0")
    video = await nav.get(href)
    problem = await nav.problem(
        "GET", video["_links"]["self"]["href"] + "/authorization-token", 503
    )
    assert "token" in problem["detail"]


async def test_formats_that_are_not_a_list_are_a_503(
    upstream: Serve, gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    app = _connector(listing=lambda r: VIDEOS, formats={"mp4": "video/mp4"})
    nav = await _navigator(upstream, gateway, make_config, app)
    problem = await nav.problem("GET", nav.href(await nav.backend(), "azure:formats"), 503)
    assert problem["code"] == "upstream-unavailable"


@pytest.mark.parametrize(
    ("faults", "backend", "status", "code"),
    [
        pytest.param({"fail_status": 503}, {}, 503, "upstream-status", id="answers-503"),
        pytest.param(
            {"drop_connections": True}, {}, 503, "upstream-unavailable", id="drops-connections"
        ),
        pytest.param({"latency_s": 0.5}, {"timeout_s": 0.05}, 408, "upstream-timeout", id="slow"),
    ],
)
async def test_a_broken_connector_is_a_problem_without_its_address(
    simulators: SimFactory,
    connect: Connect,
    faults: dict[str, Any],
    backend: dict[str, Any],
    status: int,
    code: str,
) -> None:
    sim: AzureSimulator = await simulators(**faults)
    nav = await connect(sim, retries=0, **backend)
    videos = nav.href(await nav.backend(), "azure:videos")
    for method, kwargs in (("GET", {}), ("POST", {"json": {"filename": "a.mp4"}})):
        response, problem = await nav.request(method, videos, **kwargs)
        assert response.status == status, problem
        assert response.content_type == PROBLEM
        assert problem["code"] == code
        assert problem["backend"] == "azure"
        text = json.dumps(problem) + json.dumps(dict(response.headers))
        assert sim.url not in text
        assert sim.url.removeprefix("http://") not in text


def test_internal_details_of_a_connector_error_are_not_passed_on() -> None:
    body = {
        "Message": "The request is invalid.",
        "ExceptionMessage": "Object reference not set at C:\\inetpub\\connector\\Api.cs:42",
        "ExceptionType": "System.NullReferenceException",
        "MessageDetail": "No action was found on controller 'VideosController'.",
        "ModelState": {"video.OriginalFileName": ["OriginalFileName is required."]},
    }
    fault = errors.read_error(400, "application/json", json.dumps(body).encode())
    assert list(fault.messages) == ["The request is invalid.", "OriginalFileName is required."]


def test_the_simulators_secrets_stay_out_of_its_state_repr() -> None:
    sim = AzureSimulator(token="sim-secret-token", read_only_tokens=["reader-secret"])
    text = repr(sim.config)
    assert "sim-secret-token" not in text
    assert "reader-secret" not in text
