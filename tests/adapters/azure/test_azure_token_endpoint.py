"""The Azure simulator's OAuth 2.0 client-credentials endpoint, over real sockets."""

from __future__ import annotations

import argparse

import aiohttp
import pytest

from adapters.azure.simulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, AzureSimulator
from tests.support.azure.fixtures import SimFactory
from tests.support.clocks import FakeClock
from tests.support.replies import Reply, fetch

CLIENT, SECRET = "ingest-client", "ingest-client-secret"
GRANT = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET}


@pytest.fixture
async def sim(simulators: SimFactory, clock: FakeClock) -> AzureSimulator:
    return await simulators(clients={CLIENT: SECRET}, token_ttl_s=60, clock=clock)


async def _token(sim: AzureSimulator, http: aiohttp.ClientSession, **kwargs: object) -> Reply:
    kwargs.setdefault("data", GRANT)
    return await fetch(http, "POST", sim.url + "/oauth2/token", **kwargs)


async def _formats(sim: AzureSimulator, http: aiohttp.ClientSession, token: str) -> Reply:
    headers = {"Authorization": f"Bearer {token}"}
    return await fetch(http, "GET", sim.url + "/api/Formats", headers=headers)


async def test_client_credentials_get_a_bearer_token_that_expires(
    sim: AzureSimulator, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    reply = await _token(sim, http)
    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "no-store"
    grant = reply.json()
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] == 60
    assert (await _formats(sim, http, grant["access_token"])).status == 200
    assert sim.token_requests(CLIENT) == 1

    clock.now += 60
    expired = await _formats(sim, http, grant["access_token"])
    assert expired.status == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    assert expired.json() == {"Message": "Authorization has been denied for this request."}
    fresh = (await _token(sim, http)).json()["access_token"]
    assert (await _formats(sim, http, fresh)).status == 200


async def test_the_client_may_authenticate_with_http_basic(
    sim: AzureSimulator, http: aiohttp.ClientSession
) -> None:
    reply = await _token(
        sim,
        http,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": aiohttp.encode_basic_auth(CLIENT, SECRET)},
    )
    assert reply.status == 200
    assert (await _formats(sim, http, reply.json()["access_token"])).status == 200


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        pytest.param({**GRANT, "client_secret": "wrong"}, 401, "invalid_client", id="wrong-secret"),
        pytest.param({**GRANT, "client_id": "nobody"}, 401, "invalid_client", id="unknown-client"),
        pytest.param({"grant_type": "client_credentials"}, 401, "invalid_client", id="no-client"),
        pytest.param(
            {**GRANT, "grant_type": "password"}, 400, "unsupported_grant_type", id="grant"
        ),
        pytest.param(
            {"client_id": CLIENT, "client_secret": SECRET}, 400, "invalid_request", id="no-grant"
        ),
    ],
)
async def test_token_errors_are_rfc_6749_errors(
    sim: AzureSimulator, http: aiohttp.ClientSession, data: dict[str, str], status: int, error: str
) -> None:
    reply = await _token(sim, http, data=data)
    assert reply.status == status
    assert reply.json()["error"] == error
    assert SECRET not in reply.body.decode()
    if status == 401:
        assert reply.headers["WWW-Authenticate"].startswith("Basic")
    assert sim.token_requests(CLIENT) == 0


async def test_a_json_token_request_is_invalid(
    sim: AzureSimulator, http: aiohttp.ClientSession
) -> None:
    reply = await fetch(http, "POST", sim.url + "/oauth2/token", json=GRANT)
    assert reply.status == 400
    assert reply.json()["error"] == "invalid_request"


async def test_the_simulator_records_which_client_created_a_video(
    sim: AzureSimulator, http: aiohttp.ClientSession
) -> None:
    token = (await _token(sim, http)).json()["access_token"]
    created = []
    for bearer in (token, sim.token):
        reply = await fetch(
            http,
            "POST",
            sim.url + "/api/Videos",
            json={"OriginalFileName": "clip.mp4"},
            headers={"Authorization": f"Bearer {bearer}"},
        )
        assert reply.status == 201
        created.append(reply.json()["ID"])
    assert [sim.created_by(video_id) for video_id in created] == [CLIENT, None]


async def test_a_simulator_without_fixed_token_takes_access_tokens_only(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await simulators(token=None, clients={CLIENT: SECRET})
    assert (await _formats(sim, http, "None")).status == 401
    token = (await _token(sim, http)).json()["access_token"]
    assert (await _formats(sim, http, token)).status == 200


def test_clients_and_token_life_come_from_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    AzureSimulator.add_arguments(parser)
    args = parser.parse_args(["--client", "a=b", "--client", "c=d=e", "--access-token-ttl", "90"])
    sim = AzureSimulator.from_arguments(args)
    assert isinstance(sim, AzureSimulator)
    assert dict(sim.issuer.clients) == {"a": "b", "c": "d=e"}
    assert sim.issuer.ttl_s == 90
    defaults = AzureSimulator.from_arguments(parser.parse_args([]))
    assert isinstance(defaults, AzureSimulator)
    assert dict(defaults.issuer.clients) == {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
    with pytest.raises(SystemExit):
        AzureSimulator.from_arguments(parser.parse_args(["--client", "no-secret"]))
