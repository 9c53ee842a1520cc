"""The MediaCentral simulator's documented contract, spoken to directly over HTTP."""

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
from typing import Any

import aiohttp
import pytest

from adapters.mediacentral.simulator import MediaCentralSimulator
from tests.support.mediacentral.fixtures import CLIENT_ID, CLIENT_SECRET, PASSWORD, USER, SimFactory

Doc = dict[str, Any]
REGISTRY = "/apis/avid.ctms.registry;version=0;realm=global"
AVID_PROBLEM = "application/vnd.avid.problem+json"


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def get(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> Doc:
    async with http.get(url, **kwargs) as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "application/hal+json"
        body: Doc = await response.json()
        return body


async def login(http: aiohttp.ClientSession, sim: MediaCentralSimulator) -> None:
    """The legacy login, found by links from /auth as the forum thread describes."""
    auth = await get(http, sim.url + "/auth")
    providers = await get(http, auth["_links"]["auth:identity-providers"]["href"])
    [mcux] = [p for p in providers["_embedded"]["auth:identity-provider"] if p["kind"] == "mcux"]
    body = {"username": USER, "password": PASSWORD}
    async with http.post(mcux["_links"]["auth-mcux:login"]["href"], json=body) as response:
        assert response.status == 200
        assert "avidAccessToken" in response.cookies


async def serviceroots(http: aiohttp.ClientSession, sim: MediaCentralSimulator) -> Doc:
    root = await get(http, sim.url + REGISTRY)
    return await get(http, root["_links"]["registry:serviceroots"]["href"])


def service(roots: Doc, rel: str) -> str:
    [entry] = roots["resources"][rel]
    href: str = entry["href"]
    return href


async def test_auth_root_leads_to_both_kinds_of_identity_provider(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    auth = await get(http, simulator.url + "/auth")
    links = auth["_links"]
    assert [t["name"] for t in links["auth:token"]] == ["current"]
    assert "auth:logout" in links
    providers = await get(http, links["auth:identity-providers"]["href"])
    by_kind = {p["kind"]: p["_links"] for p in providers["_embedded"]["auth:identity-provider"]}
    assert set(by_kind) == {"mcux", "oauth"}
    assert "auth-mcux:login" in by_kind["mcux"]
    assert "auth:ropc-default" in by_kind["oauth"]


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
    assert token["expiresIn"] == 900
    async with http.delete(token["_links"]["self"]["href"]) as response:
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
    extension = doc["_links"]["auth:token-extension"]["href"]
    async with http.post(extension, headers=bearer) as response:
        assert response.status == 200
        assert (await response.json())["expiresIn"] == 120
    sim.advance(119)
    assert (await get(http, sim.url + REGISTRY, headers=bearer))["_links"]
    sim.advance(1)
    async with http.get(sim.url + REGISTRY, headers=bearer) as response:
        assert response.status == 401
    assert sim.counters.extensions == 1


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(REGISTRY + "/serviceroots", id="legacy"),
        pytest.param("/apis/avid.ctms.registry;version=0/serviceroots", id="legacy-short"),
        pytest.param("/ctms-registry/v1/serviceroots", id="v1"),
    ],
)
async def test_the_registry_advertises_service_templates_on_its_own_host(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession, path: str
) -> None:
    await login(http, simulator)
    roots = await get(http, simulator.url + path)
    assert roots["systems"][0]["systemID"] == "newsroom-pam"
    for rel in ("aa:asset-by-id", "loc:root-item", "loc:item-by-id", "search:simple-search"):
        [entry] = roots["resources"][rel]
        assert entry["href"].startswith(simulator.url + "/apis/")
        assert entry["templated"] is True
        assert entry["systems"] == [{"systemType": "interplay-pam", "systemID": "newsroom-pam"}]
    assert service(roots, "search:simple-search").endswith(
        "/searches/simple?search={search}{&offset,limit,sort}"
    )
    curies = {c["name"] for c in roots["_links"]["curies"]}
    assert {"registry", "aa", "loc", "search"} <= curies
    assert all("developer.avid.com" in c["href"] for c in roots["_links"]["curies"])


async def test_a_newer_platform_has_only_the_v1_registry(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await simulators(legacy_registry=False)
    await login(http, sim)
    async with http.get(sim.url + REGISTRY) as response:
        assert response.status == 404
    root = await get(http, sim.url + "/ctms-registry/v1")
    assert (await get(http, root["_links"]["registry:serviceroots"]["href"]))["resources"]


async def test_folders_embed_their_children_a_page_at_a_time(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    roots = await serviceroots(http, simulator)
    root = await get(http, service(roots, "loc:root-item").split("{")[0])
    assert root["base"]["type"] == "folder"
    news_href = root["_embedded"]["loc:item"][0]["_links"]["self"]["href"]
    news = await get(http, news_href)
    assert news["path"] == "/Newsroom/News"
    evening = await get(http, news["_embedded"]["loc:item"][0]["_links"]["self"]["href"])
    page = await get(http, evening["_links"]["self"]["href"] + "?limit=3")
    seen = [i["common"]["name"] for i in page["_embedded"]["loc:item"]]
    while "next" in page["_links"]:
        page = await get(http, page["_links"]["next"]["href"])
        seen += [i["common"]["name"] for i in page["_embedded"]["loc:item"]]
    assert seen == [i["common"]["name"] for i in evening["_embedded"]["loc:item"]]
    assert page["paging"] == {"offset": 6, "limit": 3, "elements": 1, "totalElements": 7}
    clip = evening["_embedded"]["loc:item"][1]
    assert "aa:asset" in clip["_links"]


async def test_assets_have_base_and_common_attributes_and_a_thumbnail(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    template = service(await serviceroots(http, simulator), "aa:asset-by-id")
    asset_id = next(iter(simulator.platform.assets))
    asset = await get(http, template.replace("{id}", asset_id))
    assert set(asset["base"]) == {"id", "type", "systemID", "systemType"}
    assert set(asset["common"]) == {"name", "duration", "created", "modified"}
    async with http.get(asset["_links"]["aa:thumbnail"]["href"]) as response:
        assert response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG")
    renamed = {"common": {"name": "Renamed"}}
    async with http.patch(asset["_links"]["self"]["href"], json=renamed) as response:
        assert response.status == 200
        updated = await response.json()
    assert updated["common"]["name"] == "Renamed"
    assert updated["common"]["modified"] != asset["common"]["modified"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        pytest.param("search=fire&limit=x", "limit", id="limit"),
        pytest.param("search=fire&offset=-1", "offset", id="offset"),
        pytest.param("search=fire&sort=size", "sort", id="sort"),
        pytest.param("limit=2", "search", id="search"),
    ],
)
async def test_bad_search_parameters_answer_avid_problems(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession, query: str, parameter: str
) -> None:
    await login(http, simulator)
    template = service(await serviceroots(http, simulator), "search:simple-search")
    async with http.get(template.split("?")[0] + "?" + query) as response:
        assert response.status == 400
        assert response.content_type == AVID_PROBLEM
        problem = await response.json()
    assert problem["code"] == "avid.pam/CTMS/INVALID_PARAMETER"
    assert problem["params"]["parameterName"] == parameter
    assert problem["status"] == 400


async def test_search_pages_through_matches_with_next_links(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    template = service(await serviceroots(http, simulator), "search:simple-search")
    url = template.split("?")[0] + "?search=Cup%20FINAL&limit=1&sort=-name"
    page = await get(http, url)
    names = [a["common"]["name"] for a in page["_embedded"]["aa:asset"]]
    while "next" in page["_links"]:
        page = await get(http, page["_links"]["next"]["href"])
        names += [a["common"]["name"] for a in page["_embedded"]["aa:asset"]]
    assert names == ["Cup final highlights", "Cup final - trophy lift", "Cup final - first goal"]


async def test_relocated_services_answer_bare_404_at_their_old_hrefs(
    simulator: MediaCentralSimulator, http: aiohttp.ClientSession
) -> None:
    await login(http, simulator)
    old = service(await serviceroots(http, simulator), "aa:asset-by-id")
    asset_id = next(iter(simulator.platform.assets))
    simulator.relocate_services()
    async with http.get(old.replace("{id}", asset_id)) as response:
        assert response.status == 404
        assert response.content_type == "text/plain"
    new = service(await serviceroots(http, simulator), "aa:asset-by-id")
    assert new != old
    assert (await get(http, new.replace("{id}", asset_id)))["base"]["id"] == asset_id
    async with http.get(new.replace("{id}", "missing")) as response:
        assert response.status == 404
        assert (await response.json())["code"] == "avid.pam/CTMS/NOT_FOUND"


async def test_injected_failures_use_the_platform_problem_shape(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await simulators(fail_status=503)
    async with http.get(sim.url + "/auth") as response:
        assert response.status == 503
        assert response.content_type == AVID_PROBLEM
        assert (await response.json())["code"] == "avid.upstream/FAILURE"


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
