"""The command line as an operator runs it: real processes, real sockets."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from gateway.auth.passwords import hash_password
from tests.support import processes
from tests.support.identities import CHEAP
from tests.support.processes import Started, password_token

PASSWORD = "operator-password"
CONFIG = f"""
[server]
port = 0
[[auth.users]]
name = "operator"
password_hash = "{hash_password(PASSWORD, CHEAP)}"
roles = ["reader"]
[backends.mam]
kind = "flex"
url = "simulator"
username = "demo"
password = "${{FLEX_PW}}"
"""


def start(started: Started, *args: str) -> tuple[subprocess.Popen[str], str]:
    return processes.start(started, *args, env={"FLEX_PW": "pw-from-env"})


def get_json(url: str, token: str | None = None) -> dict[str, object]:
    headers = {"Accept": "application/hal+json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/hal+json")
        data: dict[str, object] = json.load(response)
        return data


def test_serve_answers_the_root_and_stops_cleanly_on_sigterm(
    tmp_path: Path, process: Started
) -> None:
    path = tmp_path / "gw.toml"
    path.write_text(CONFIG)
    proc, url = start(process, "serve", "--config", str(path))
    anonymous = get_json(url)["_links"]
    assert isinstance(anonymous, dict)
    assert "gw:backend" not in anonymous
    root = get_json(url, password_token(url, "operator", PASSWORD))
    links = root["_links"]
    assert isinstance(links, dict)
    assert links["self"] == {"href": url}
    assert links["gw:backend"] == [{"href": url + "backends/mam", "name": "mam", "title": "mam"}]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert proc.stderr is not None
    assert "pw-from-env" not in proc.stderr.read()


def test_config_is_found_through_the_environment_variable(
    tmp_path: Path, process: Started, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gw.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("HALGW_CONFIG", str(path))
    _, url = start(process, "serve", "--host", "127.0.0.1")
    assert get_json(url + "backends", password_token(url, "operator", PASSWORD))["count"] == 1


def test_simulate_runs_a_simulator_standalone_until_sigterm(
    process: Started,
) -> None:
    proc, url = start(process, "simulate", "azure", "--port", "0", "--token", "tok")
    request = urllib.request.Request(url + "/api/Formats", headers={"Authorization": "Bearer tok"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_simulate_avalon_takes_its_api_keys(process: Started) -> None:
    key = "ab" * 64
    _, url = start(process, "simulate", "avalon", "--port", "0", "--api-key", f"{key}=archivist")
    request = urllib.request.Request(url + "/media_objects.json", headers={"Avalon-Api-Key": key})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert int(response.headers["Total"]) > 0
