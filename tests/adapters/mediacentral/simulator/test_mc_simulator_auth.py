"""The MediaCentral simulator's logins: the mcux session, OAuth2 grants, a standalone run."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import aiohttp
import pytest
from yarl import URL

from adapters.mediacentral.simulator import MediaCentralSimulator
from tests.support.mediacentral.direct import AVID_PROBLEM, REGISTRY, first, get, login
from tests.support.mediacentral.fixtures import CLIENT_ID, CLIENT_SECRET, PASSWORD, USER, SimFactory


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def test_auth_root_leads_to_both_kinds_of_identity_provider_through_link_arrays(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    auth = await get(http, simulator.url + "/auth")
    links = auth["_links"]
    # As PlatformAuthorization.html shows them and the samples read them: arrays.
    assert [t["name"] for t in links["auth:token"]] == ["current"]
    assert [t["name"] for t in links["auth:logout"]] == ["reactive"]
    providers = await get(http, first(auth, "auth:identity-providers"))
    by_kind = {p["kind"]: p for p in providers["_embedded"]["auth:identity-provider"]}
    assert set(by_kind) == {"mcux", "oauth"}
    assert first(by_kind["mcux"], "auth-mcux:login").endswith("/mcux/login")
    assert first(by_kind["oauth"], "auth:ropc-default").endswith("/ropc/default")


async def test_calls_without_a_session_answer_unauthenticated_with_incident_ids(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(simulator.url + REGISTRY) as response:
        assert response.status == 401
        body = await response.json()
    assert body["code"] == "avid.upstream/UNAUTHENTICATED"
    assert body["message"] == "No access token provided"
    assert body["status"] == 401
    assert body["params"] == {}
    uuid.UUID(body["incident"])
    uuid.UUID(body["exchange"])
    assert body["incident"] != body["exchange"]
    async with http.get(simulator.url + REGISTRY, headers={"Authorization": "Bearer x"}) as bad:
        assert bad.status == 401
        assert (await bad.json())["message"] == "Access token expired or invalid"
    assert simulator.counters.unauthenticated == 2


async def test_the_mcux_login_opens_a_cookie_session_that_ends_on_delete(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    token = await get(http, simulator.url + "/auth/tokens/current")
    assert (token["kind"], token["principal"]) == ("mcux", USER)
    assert (
        token["accessToken"]
        == http.cookie_jar.filter_cookies(URL(simulator.url))["avidAccessToken"].value
    )
    assert token["expiresIn"] == 900
    assert first(token, "auth-token:extend").endswith("/auth/tokens/current/extension")
    async with http.delete(first(token, "auth-token:removal")) as response:
        assert response.status == 204
    async with http.get(simulator.url + REGISTRY) as response:
        assert response.status == 401
    assert (simulator.counters.logins, simulator.counters.logouts) == (1, 1)


async def test_a_wrong_mcux_password_is_refused_with_a_problem(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    body = {"username": USER, "password": "nope"}
    async with http.post(simulator.url + "/auth/identity-providers/mcux/login", json=body) as r:
        assert r.status == 401
        assert r.content_type == AVID_PROBLEM
        assert (await r.json())["code"] == "avid.auth/LOGIN_FAILED"
        assert "avidAccessToken" not in r.cookies
    assert simulator.counters.login_failures == 1


ROPC = "/auth/sso/login/oauth2/ropc/default"


@pytest.mark.parametrize(
    ("headers", "form", "status", "error"),
    [
        pytest.param(
            {}, {"grant_type": "client_credentials"}, 401, "invalid_client", id="no-basic"
        ),
        pytest.param(
            {"Authorization": basic(secret="nope")},
            {"grant_type": "client_credentials"},
            401,
            "invalid_client",
            id="wrong-secret",
        ),
        pytest.param(
            {"Authorization": basic()},
            {"grant_type": "password", "username": USER, "password": "nope"},
            400,
            "invalid_grant",
            id="wrong-password",
        ),
        pytest.param(
            {"Authorization": basic()},
            {"grant_type": "authorization_code"},
            400,
            "unsupported_grant_type",
            id="other-grant",
        ),
    ],
)
async def test_oauth2_refusals(
    simulator: MediaCentralSimulator,
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    form: dict[str, str],
    status: int,
    error: str,
) -> None:
    async with http.post(simulator.url + ROPC, data=form, headers=headers) as response:
        assert response.status == status
        assert (await response.json())["error"] == error
        if error == "invalid_client":
            assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert simulator.counters.logins == 0


@pytest.mark.parametrize(
    ("form", "principal"),
    [
        pytest.param(
            {"grant_type": "password", "username": USER, "password": PASSWORD}, USER, id="password"
        ),
        pytest.param(
            {"grant_type": "client_credentials", "scope": "openid"}, CLIENT_ID, id="client"
        ),
    ],
)
async def test_oauth2_grants_give_short_lived_bearer_tokens(
    simulators: SimFactory, http: aiohttp.ClientSession, form: dict[str, str], principal: str
) -> None:
    sim = await simulators(token_life_s=120)
    async with http.post(sim.url + ROPC, data=form, headers={"Authorization": basic()}) as r:
        assert r.status == 200
        token = await r.json()
    assert {
        "access_token",
        "expires_in",
        "token_type",
        "refresh_token",
        "scope",
        "id_token",
    } <= set(token)
    assert token["expires_in"] == 120
    http.cookie_jar.clear()  # from here on the bearer token alone
    for bearer in (token["access_token"], token["id_token"]):
        doc = await get(
            http, sim.url + "/auth/tokens/current", headers={"Authorization": f"Bearer {bearer}"}
        )
        assert (doc["kind"], doc["principal"]) == ("oauth", principal)
    sim.advance(100)
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    extension = first(doc, "auth-token:extend")
    async with http.post(extension, headers=bearer) as response:
        assert response.status == 200
        assert (await response.json())["expiresIn"] == 120
    sim.advance(119)
    assert (await get(http, sim.url + REGISTRY, headers=bearer))["_links"]
    sim.advance(1)
    async with http.get(sim.url + REGISTRY, headers=bearer) as response:
        assert response.status == 401
    assert sim.counters.extensions == 1


@pytest.fixture
def process() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_the_simulator_runs_standalone_with_its_own_accounts(
    process: list[subprocess.Popen[str]],
) -> None:
    command = [sys.executable, "-m", "gateway", "simulate", "mediacentral", "--port", "0"]
    accounts = ["--user", "editor=cut-it", "--client", "app=app-secret"]
    proc = subprocess.Popen(
        [*command, *accounts],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    process.append(proc)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # blocks until the simulator says where it listens
    assert "mediacentral simulator serving on http://" in first
    url = first.rsplit(" ", 1)[1].strip()
    login = urllib.request.Request(
        url + "/auth/identity-providers/mcux/login",
        data=json.dumps({"username": "editor", "password": "cut-it"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=10) as response:
        assert response.status == 200
        assert "avidAccessToken=" in response.headers["Set-Cookie"]
    token = urllib.request.Request(
        url + ROPC,
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": basic("app", "app-secret")},
    )
    with urllib.request.urlopen(token, timeout=10) as response:
        assert json.load(response)["token_type"] == "bearer"
