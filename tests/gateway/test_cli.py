"""The command line as an operator runs it: real processes, real sockets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFIG = """
[server]
port = 0
[backends.mam]
kind = "flex"
url = "simulator"
username = "demo"
password = "${FLEX_PW}"
"""


@pytest.fixture
def process() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def start(started: list[subprocess.Popen[str]], *args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "FLEX_PW": "pw-from-env"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    started.append(proc)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # blocks until the server says where it listens
    assert "serving on http://" in first, proc.stderr.read() if proc.stderr else first
    return proc, first.rsplit(" ", 1)[1].strip()


def get_json(url: str) -> dict[str, object]:
    request = urllib.request.Request(url, headers={"Accept": "application/hal+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/hal+json")
        data: dict[str, object] = json.load(response)
        return data


def test_serve_answers_the_root_and_stops_cleanly_on_sigterm(
    tmp_path: Path, process: list[subprocess.Popen[str]]
) -> None:
    path = tmp_path / "gw.toml"
    path.write_text(CONFIG)
    proc, url = start(process, "serve", "--config", str(path))
    root = get_json(url)
    links = root["_links"]
    assert isinstance(links, dict)
    assert links["self"] == {"href": url}
    assert links["gw:backend"] == [{"href": url + "backends/mam", "name": "mam", "title": "mam"}]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert proc.stderr is not None
    assert "pw-from-env" not in proc.stderr.read()


def test_config_is_found_through_the_environment_variable(
    tmp_path: Path, process: list[subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gw.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("HALGW_CONFIG", str(path))
    _, url = start(process, "serve", "--host", "127.0.0.1")
    assert get_json(url + "backends")["count"] == 1


def test_simulate_runs_a_simulator_standalone_until_sigterm(
    process: list[subprocess.Popen[str]],
) -> None:
    proc, url = start(process, "simulate", "azure", "--port", "0", "--token", "tok")
    request = urllib.request.Request(url + "/api/Formats", headers={"Authorization": "Bearer tok"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_simulate_avalon_takes_its_api_keys(process: list[subprocess.Popen[str]]) -> None:
    key = "ab" * 64
    _, url = start(process, "simulate", "avalon", "--port", "0", "--api-key", f"{key}=archivist")
    request = urllib.request.Request(url + "/media_objects.json", headers={"Avalon-Api-Key": key})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert int(response.headers["Total"]) > 0
