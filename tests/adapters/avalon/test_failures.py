"""Avalon's refusals and faults through the gateway, as problems that hide its address."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, AvalonSimulator
from tests.support.avalon import first_media_object as _first_media_object
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import PROBLEM, Navigator


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        pytest.param({"page": "0"}, "page must be at least 1", id="page-zero"),
        pytest.param({"per_page": "many"}, "per_page must be an integer", id="per-page-word"),
        pytest.param({"per_page": "501"}, "at most 500", id="per-page-too-large"),
    ],
)
async def test_bad_paging_parameters_are_400(
    nav: Navigator, query: dict[str, str], detail: str
) -> None:
    backend = await nav.backend()
    href = nav.href(backend, "avalon:media-objects")
    response, problem = await nav.request("GET", href, params=query)
    assert response.status == 400
    assert detail in problem["detail"]


async def test_unknown_ids_are_404(nav: Navigator) -> None:
    backend = await nav.backend()
    for rel in ("avalon:media-object", "avalon:collection"):
        response, problem = await nav.request("GET", nav.href(backend, rel, id="no-such-id"))
        assert response.status == 404
        assert problem["upstream_status"] == 404
        assert problem["errors"] == ["no-such-id not found"]


async def test_unknown_key_is_503_login_failed_and_missing_permission_401(nav: Navigator) -> None:
    bad = await nav.backend("misconfigured")
    response, problem = await nav.request("GET", nav.href(bad, "avalon:media-objects"))
    # Avalon's 403 for an unknown token is the gateway's configuration at fault.
    assert response.status == 503
    assert problem["code"] == "upstream-login-failed"
    assert problem["backend"] == "misconfigured"
    assert problem["errors"] == ["Permission denied."]
    assert "0" * 128 not in json.dumps(problem)

    viewer = await nav.backend("readonly")
    units = nav.href(viewer, "avalon:vocabulary", name="units")
    for method, body in (("GET", None), ("PUT", {"entry": "Nope"})):
        response, problem = await nav.request(method, units, json=body)
        assert response.status == 403  # a 401 would tell the client to log in again
        assert problem["upstream_status"] == 401
        assert problem["backend"] == "readonly"


async def test_a_queued_deletion_reads_as_before_until_avalons_job_runs(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    slow_purge = AvalonSimulator(purge_delay_s=3600)
    await slow_purge.start()
    try:
        config = make_config(
            backends={
                "archive": {"kind": "avalon", "url": slow_purge.url, "api_key": DEFAULT_ADMIN_KEY}
            }
        )
        nav = Navigator(await gateway(config), "archive")
        media_object = await _first_media_object(nav)
        href = media_object["_links"]["self"]["href"]
        response, _ = await nav.request("DELETE", href)
        assert response.status == 202
        assert (await nav.get(href))["id"] == media_object["id"]
    finally:
        await slow_purge.close()


@pytest.mark.parametrize(
    ("faults", "status"),
    [
        pytest.param({"fail_status": 503}, 503, id="upstream-503"),
        pytest.param({"fail_status": 500}, 500, id="upstream-500"),
        pytest.param({"drop_connections": True}, 503, id="connection-dropped"),
        pytest.param({"latency_s": 1.0}, 408, id="too-slow"),
    ],
)
async def test_a_broken_avalon_is_a_problem_without_its_address(
    gateway: GatewayFactory, make_config: ConfigFactory, faults: dict[str, Any], status: int
) -> None:
    broken = AvalonSimulator(**faults)
    await broken.start()
    try:
        config = make_config(
            backends={
                "archive": {
                    "kind": "avalon",
                    "url": broken.url,
                    "api_key": DEFAULT_ADMIN_KEY,
                    "timeout_s": 0.2,
                    "retries": 0,
                }
            }
        )
        nav = Navigator(await gateway(config, wait_probed=False), "archive")
        backend = await nav.backend()
        for method, kwargs in (("GET", {}), ("POST", {"json": {"fields": {"title": "T"}}})):
            response, problem = await nav.request(
                method, nav.href(backend, "avalon:media-objects"), **kwargs
            )
            assert response.status == status
            assert response.content_type == PROBLEM
            assert problem["backend"] == "archive"
            # A POST that timed out may have been taken: its outcome is unknown.
            assert problem["transient"] is (status == 408 and method == "GET")
        assert not nav.leaks(broken.url)
    finally:
        await broken.close()


async def test_the_upstream_host_never_shows(nav: Navigator, simulator: AvalonSimulator) -> None:
    media_object = await _first_media_object(nav)
    await nav.follow(media_object, "avalon:collection")
    await nav.follow(media_object, "avalon:supplemental-files")
    backend = await nav.backend()
    await nav.request("GET", nav.href(backend, "avalon:media-object", id="missing"))
    await nav.request("POST", nav.href(backend, "avalon:media-objects"), json={"fields": {}})
    await nav.follow(backend, "avalon:media-objects", per_page=50)
    # Every host that appears in the upstream's data, the repository's included.
    hosts = {simulator.url.removeprefix("http://"), "127.0.0.1:8984", "fedora4"}
    for text in nav.seen:
        # Stream URLs lead to the media server, which the simulator also plays.
        without_streams = text
        for marker in ("/index.m3u8",):
            while marker in without_streams:
                cut = without_streams.index(marker)
                start = without_streams.rfind('"', 0, cut)
                without_streams = without_streams[:start] + without_streams[cut + len(marker) :]
        for host in hosts:
            assert host not in without_streams, host
