"""The Flex simulator's Basic logins, its error shape, separate instances and command line."""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

import adapters.flex.simulator
from adapters.flex.simulator import DEFAULT_PASSWORD, DEFAULT_USER, MEDIA_TYPE, FlexSimulator
from tests.support.flex.direct import AUTH, Api, error, ok

ANSWER = "application/json"
"""How Flex labels its JSON answers, whatever the request's media type."""

# --- authentication and error shapes --------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param({}, "Authentication required", id="none"),
        pytest.param(
            {"Authorization": aiohttp.encode_basic_auth(DEFAULT_USER, "wrong")},
            "Invalid username or password",
            id="wrong-password",
        ),
        pytest.param(
            {"Authorization": aiohttp.encode_basic_auth("nobody", DEFAULT_PASSWORD)},
            "Invalid username or password",
            id="unknown-user",
        ),
        pytest.param({"Authorization": "Basic !!!"}, "Malformed Basic credentials", id="garbled"),
        pytest.param({"Authorization": "Bearer x"}, "Unsupported", id="bearer"),
    ],
)
async def test_requests_without_valid_basic_credentials_are_401(
    api: Api, headers: dict[str, str], message: str
) -> None:
    for path in ("/api", "/api/assets", "/api/assets/1/metadata", "/api/no/such/thing"):
        reply = await api("GET", path, headers=headers)
        assert reply.status == 401
        assert reply.headers["WWW-Authenticate"] == 'Basic realm="Flex"'
        assert reply.headers["Content-Type"] == ANSWER
        assert message in error(reply)


async def test_the_configured_users_are_the_ones_accepted() -> None:
    sim = FlexSimulator(users={"ops": "s3cret"})
    await sim.start()
    try:
        async with aiohttp.ClientSession() as session:
            for user, password, status in (
                ("ops", "s3cret", 200),
                (DEFAULT_USER, DEFAULT_PASSWORD, 401),
            ):
                headers = {"Authorization": aiohttp.encode_basic_auth(user, password)}
                async with session.get(sim.url + "/api/assets;limit=1", headers=headers) as resp:
                    assert resp.status == status
    finally:
        await sim.close()


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        pytest.param("GET", "/api/assets/999999", 404, "Asset: 999999 not found.", id="asset"),
        pytest.param("GET", "/api/assets/abc", 404, "Asset: abc not found.", id="not-a-number"),
        pytest.param(
            "GET",
            "/api/nothing",
            404,
            "No object type found for plural name: nothing",
            id="unknown-plural",
        ),
        pytest.param(
            "GET", "/api/assets;limit=ten", 400, "Invalid value 'ten' for limit", id="limit"
        ),
        pytest.param("GET", "/api/assets;offset=-1", 400, "for offset", id="offset"),
        pytest.param("GET", "/api/assets;sortBy=size", 400, "Invalid sortBy", id="sort-by"),
        pytest.param("GET", "/api/assets;sort=up", 400, "Invalid sort", id="sort"),
        pytest.param("GET", "/api/assets;enabled=maybe", 400, "true or false", id="flag"),
        pytest.param("GET", "/api/assets;fql=name", 400, "Invalid FQL", id="fql"),
        pytest.param("GET", "/api/assets;fql=colour=red", 400, "unknown field", id="fql-field"),
        pytest.param("POST", "/api/assets", 400, "not valid JSON", id="broken-json"),
        pytest.param(
            "POST",
            "/api/assets",
            400,
            'Unrecognized field "colour" (Class tv.nativ.mio.api.model.asset.create.NewAsset)',
            id="unknown-field",
        ),
    ],
)
async def test_errors_have_flex_shape(
    api: Api, method: str, path: str, status: int, message: str
) -> None:
    body = b'{"name": "x", "colour": "red"}' if "field" in message else b"{oops"
    reply = await api(method, path, data=body, headers={**AUTH, "Content-Type": MEDIA_TYPE})
    assert reply.status == status
    assert reply.headers["Content-Type"] == ANSWER
    assert message in error(reply)


@pytest.mark.parametrize(
    ("method", "path", "content_type", "status", "message"),
    [
        pytest.param(
            "GET", "/api", None, 404, "Could not find resource for relative : / of", id="api-root"
        ),
        pytest.param(
            "GET",
            "/api/assets/1/nothing",
            None,
            404,
            "Could not find resource for relative : /assets/1/nothing of full path: http",
            id="no-route",
        ),
        pytest.param("DELETE", "/api/assets", None, 405, "No resource method", id="method"),
        pytest.param(
            "POST", "/api/assets", "application/json", 415, "Cannot consume", id="plain-json"
        ),
        pytest.param(
            "PUT", "/api/assets/1/metadata", "application/xml", 415, "Cannot consume", id="xml"
        ),
    ],
)
async def test_what_flex_never_sees_is_the_containers_html_page(
    api: Api, method: str, path: str, content_type: str | None, status: int, message: str
) -> None:
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    reply = await api(method, path, data=b"<metadata/>", headers=headers)
    assert reply.status == status
    assert reply.headers["Content-Type"].startswith("text/html")
    assert message in reply.body.decode()


async def test_injected_failures_use_the_error_shape() -> None:
    sim = FlexSimulator(fail_status=500)
    await sim.start()
    try:
        async with aiohttp.ClientSession() as session, session.get(sim.url + "/api/assets") as resp:
            assert resp.status == 500
            assert await resp.json(content_type=None) == {
                "errors": {"error": "Simulated failure 500"}
            }
    finally:
        await sim.close()


# --- instances and the command line --------------------------------------------------------


async def test_simulators_do_not_share_state(api: Api) -> None:
    await ok(api, "POST", "/api/assets", 201, json={"name": "Only here"})
    other = FlexSimulator()
    await other.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = other.url + "/api/assets;name=Only here"
            async with session.get(url, headers=AUTH) as resp:
                assert (await resp.json(content_type=None))["totalCount"] == 0
    finally:
        await other.close()


def test_arguments_configure_users_assets_and_latency() -> None:
    parser = argparse.ArgumentParser()
    FlexSimulator.add_arguments(parser)
    args = parser.parse_args(["--user", "a=b", "--user", "c=d=e", "--extra-assets", "3"])
    sim = FlexSimulator.from_arguments(args)
    assert sim.config.users == {"a": "b", "c": "d=e"}
    assert (sim.extra_assets, sim.latency_s) == (3, 0.0)
    defaults = FlexSimulator.from_arguments(parser.parse_args(["--latency", "0.5"]))
    assert defaults.config.users == {DEFAULT_USER: DEFAULT_PASSWORD}
    assert defaults.latency_s == 0.5


def test_hal_gateway_simulate_flex_serves_on_an_ephemeral_port() -> None:
    command = [sys.executable, "-m", "gateway", "simulate", "flex", "--port", "0"]
    proc = subprocess.Popen(
        [*command, "--user", "ops=pw", "--extra-assets", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the simulator says where it listens
        assert "flex simulator serving on http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[1].strip() + "/api/assets;name=Clip;limit=2"
        good = {"Authorization": aiohttp.encode_basic_auth("ops", "pw")}
        with urllib.request.urlopen(urllib.request.Request(url, headers=good), timeout=10) as resp:
            assert resp.headers["Content-Type"] == ANSWER
            body = json.load(resp)
            assert (body["totalCount"], len(body["assets"])) == (3, 2)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401
        refused.value.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_the_simulator_imports_nothing_of_the_adapter() -> None:
    package = Path(adapters.flex.simulator.__file__).parent
    for module in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                inside = name.startswith("adapters.flex.simulator")
                assert inside or not name.startswith("adapters.flex"), (module.name, name)
