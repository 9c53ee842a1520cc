"""JSON logs and the metrics port of ``hal-gateway serve``, as an operator runs it.

Real processes and sockets on loopback: the gateway reads its secrets from the
environment, its standard error goes to a file, and every line of it is read back.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Final

import pytest

from gateway.api.registry import package_version
from gateway.auth.passwords import hash_password
from gateway.cli import main
from gateway.config import loading
from gateway.web.errors import ConfigError
from tests.support import leaks, processes
from tests.support.identities import CHEAP, SIGNING_KEY
from tests.support.processes import Started
from tests.support.scraped import EXPOSITION, Scrape

PASSWORD: Final = "operator-password"
ENV: Final = {
    "FLEX_PW": "flex-password-from-env",
    "AZURE_TOKEN": "azure-token-from-env",
    "SCRAPE_TOKEN": "scrape-token-from-env-0123456789abcdef",
    "SIGNING_KEY": SIGNING_KEY,
}
TIME: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
WITHIN_S: Final = 20.0


def config(tmp_path: Path, *, down_port: int, server: str = "") -> Path:
    """One user, a Flex simulator, an Azure backend nobody listens for; secrets from ``ENV``."""
    path = tmp_path / "gw.toml"
    path.write_text(
        f"""
[server]
port = 0
log_format = "json"
metrics_token = "${{SCRAPE_TOKEN}}"
probe_interval_s = 3600
{server}
[auth]
signing_key = "${{SIGNING_KEY}}"
[[auth.users]]
name = "operator"
password_hash = "{hash_password(PASSWORD, CHEAP)}"
roles = ["admin"]
[backends.mam]
kind = "flex"
url = "simulator"
username = "demo"
password = "${{FLEX_PW}}"
[backends.down]
kind = "azure"
url = "http://127.0.0.1:{down_port}"
token = "${{AZURE_TOKEN}}"
retries = 0
"""
    )
    return path


def call(url: str, token: str | None = None, data: bytes | None = None) -> tuple[int, Any]:
    """One request: its status and its response (an ``HTTPError`` is a response too)."""
    request = urllib.request.Request(url, data=data)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status, response
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, error


def login(url: str) -> str:
    form = {"grant_type": "password", "username": "operator", "password": PASSWORD}
    with urllib.request.urlopen(
        url + "auth/token", data=urllib.parse.urlencode(form).encode(), timeout=10
    ) as response:
        token: str = json.load(response)["access_token"]
        return token


def lines_of(path: Path) -> list[dict[str, Any]]:
    """Every line of the log, each of which must be one JSON object."""
    parsed = []
    for line in path.read_text().splitlines():
        value = json.loads(line)
        assert isinstance(value, dict), line
        parsed.append(value)
    return parsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_with_log_format_json_every_line_is_an_object_naming_its_request(
    tmp_path: Path, process: Started
) -> None:
    log = tmp_path / "gw.log"
    path = config(tmp_path, down_port=free_port())
    proc, url = processes.start(process, "serve", "--config", str(path), env=ENV, log=log)
    token = login(url)
    asked = {
        "found": call(url + "backends/mam", token),
        "missing": call(url + "no/such/thing", token),
        "upstream": call(url + "backends/down/formats", token),
        "scraped": call(url + "metrics", ENV["SCRAPE_TOKEN"]),
    }
    assert {k: status for k, (status, _) in asked.items()} == {
        "found": 200,
        "missing": 404,
        "upstream": 503,
        "scraped": 200,
    }
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=WITHIN_S) == 0
    lines = lines_of(log)

    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
        assert TIME.fullmatch(line["time"]), line
        assert "worker" not in line  # one process
    access = {line["request_id"]: line for line in lines if line["logger"] == "gateway.access"}
    ids = {k: answer.headers["X-Request-Id"] for k, (_, answer) in asked.items()}
    assert set(ids.values()) <= set(access)
    found = access[ids["found"]]
    assert found["level"] == "INFO"
    assert (found["method"], found["path"], found["route"]) == (
        "GET",
        "/backends/mam",
        "/backends/{name}",
    )
    assert (found["status"], found["backend"], found["identity"]) == (200, "mam", "operator")
    assert found["peer"] == "127.0.0.1"
    assert isinstance(found["bytes"], int)
    assert found["bytes"] > 0
    assert isinstance(found["duration_s"], float)
    assert 0 <= found["duration_s"] < WITHIN_S
    assert access[ids["missing"]]["route"] == "unmatched"
    assert access[ids["scraped"]]["route"] == "/metrics"
    assert "identity" not in access[ids["scraped"]]  # the scraper is nobody

    # A line written while a request runs names it: the 404's one line...
    [missing] = [
        line
        for line in lines
        if line["logger"] == "gateway.web.middlewares" and line["request_id"] == ids["missing"]
    ]
    assert (missing["level"], missing["status"], missing["route"]) == ("INFO", 404, "unmatched")
    assert (missing["method"], missing["identity"]) == ("GET", "operator")
    # ...and the upstream's failure, its backend named.
    [failed] = [
        line
        for line in lines
        if line["logger"] == "gateway.web.middlewares" and line["request_id"] == ids["upstream"]
    ]
    assert (failed["level"], failed["status"], failed["backend"]) == ("WARNING", 503, "down")
    assert failed["route"] == "/backends/{name}/formats"
    # Lines of no request (the simulator's start) name none.
    [started] = [line for line in lines if "flex simulator on" in line["message"]]
    assert "request_id" not in started

    secrets = {*ENV.values(), PASSWORD, token}
    assert not leaks.leaks(secrets, [("standard error", log.read_text())])


def test_the_configs_warnings_are_json_lines_too(tmp_path: Path, process: Started) -> None:
    # Without any user, client or issuer, serve warns that nobody can log in.
    path = tmp_path / "gw.toml"
    path.write_text('[server]\nport = 0\nlog_format = "json"\n')
    log = tmp_path / "gw.log"
    proc, url = processes.start(process, "serve", "--config", str(path), log=log)
    assert call(url + "healthz")[0] == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=WITHIN_S) == 0
    lines = lines_of(log)
    [warning] = [line for line in lines if "nobody can log in" in line["message"]]
    assert warning["level"] == "WARNING"


def test_a_taken_metrics_port_makes_serve_exit_1_saying_which(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "gw.toml"
        path.write_text(f"[server]\nport = 0\nmetrics_port = {port}\n")
        done = processes.run("serve", "--config", str(path), timeout=WITHIN_S)
    assert done.returncode == 1
    assert done.stdout == ""
    expected = (
        f"hal-gateway: cannot listen for /metrics on 127.0.0.1:{port}: Address already in use"
    )
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_the_metrics_port_follows_the_serving_address_and_needs_no_login(
    tmp_path: Path, process: Started
) -> None:
    port = free_port()
    # The file says 127.0.0.2; --host moves the gateway, and its metrics port with it.
    server = f'host = "127.0.0.2"\nmetrics_port = {port}'
    path = config(tmp_path, down_port=free_port(), server=server)
    args = ("serve", "--config", str(path), "--host", "127.0.0.1")
    _, url = processes.start(process, *args, env=ENV, log=tmp_path / "gw.log")
    assert url.startswith("http://127.0.0.1:")
    assert call(url + "healthz")[0] == 200
    assert call(url + "metrics")[0] == 401  # the main port still asks for a login
    status, answer = call(f"http://127.0.0.1:{port}/metrics")
    assert (status, answer.headers["Content-Type"]) == (200, EXPOSITION)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        scraped = Scrape.parse(answer.read().decode())
    health = {"route": "/healthz", "method": "GET", "backend": ""}
    assert scraped.value("halgw_http_requests_total", status="200", **health) == 1
    assert (
        scraped.value(
            "halgw_http_requests_total", status="401", route="/metrics", method="GET", backend=""
        )
        == 1
    )


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports free now on loopback."""
    for _ in range(50):
        first = free_port()
        if first + count - 1 > 65535:
            continue
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise AssertionError(f"no {count} consecutive free ports")


def test_each_worker_writes_its_number_and_serves_its_own_metrics_port(
    tmp_path: Path, process: Started, redis_url: str, key_prefix: str
) -> None:
    _, upstream = processes.start(
        process,
        "simulate", "azure", "--token", ENV["AZURE_TOKEN"],
        log=tmp_path / "simulator.log",
    )  # fmt: skip
    metrics_port = free_ports(2)
    path = tmp_path / "gw.toml"
    path.write_text(
        f"""
[server]
port = 0
workers = 2
log_format = "json"
metrics_port = {metrics_port}
[auth]
signing_key = "{SIGNING_KEY}"
[session]
store = "redis"
redis_url = "{redis_url}"
key_prefix = "{key_prefix}"
[backends.media]
kind = "azure"
url = "{upstream}"
token = "${{AZURE_TOKEN}}"
"""
    )
    log = tmp_path / "gw.log"
    proc, _ = processes.start(process, "serve", "--config", str(path), env=ENV, log=log)
    for worker in (1, 2):
        scraped = Scrape.parse(call_text(f"http://127.0.0.1:{metrics_port + worker - 1}/metrics"))
        assert scraped.value("halgw_build_info", version=package_version()) == 1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=WITHIN_S) == 0
    lines = lines_of(log)
    started = [line for line in lines if line["message"].startswith("config ")]
    by_worker = sorted(line.get("worker", 0) for line in started)
    assert by_worker == [0, 1, 2]  # the supervisor's line names no worker
    supervisor = [line for line in lines if line["logger"] == "gateway.workers"]
    assert supervisor
    assert all("worker" not in line for line in supervisor)
    assert not leaks.leaks(set(ENV.values()), [("standard error", log.read_text())])


def call_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        text: str = answer.read().decode()
        return text


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        pytest.param(
            'log_format = "xml"', "server.log_format: must be one of 'text', 'json'", id="format"
        ),
        pytest.param(
            "port = 9100\nmetrics_port = 9100",
            "server.metrics_port: the metrics port must not be server.port",
            id="same-port",
        ),
        pytest.param(
            'metrics_port = 65535\nworkers = 2\n[session]\nstore = "redis"\n'
            'redis_url = "redis://r:6379/0"\n[auth]\nsigning_key = "' + SIGNING_KEY + '"',
            "server.metrics_port: 2 workers need ports 65535-65536, past 65535",
            id="past-the-last-port",
        ),
        pytest.param("metrics_port = -1", "server.metrics_port: must be at least 0", id="negative"),
        pytest.param(
            'metrics_token = "' + "t" * 31 + '"',
            "server.metrics_token: must be at least 32 bytes",
            id="short-token",
        ),
    ],
)
def test_check_config_refuses_bad_observability_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], server: str, expected: str
) -> None:
    path = tmp_path / "gw.toml"
    path.write_text(f"[server]\n{server}\n")
    assert main(["check-config", str(path)]) == 2
    assert expected in capsys.readouterr().err


def test_the_scrape_token_is_a_secret_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "gw.toml"
    path.write_text('[server]\nmetrics_token = "${SCRAPE}"\n')
    with pytest.raises(ConfigError) as refused:
        loading.load(path, env={})
    assert refused.value.problems == [
        "server.metrics_token: environment variable SCRAPE is not set and has no default"
    ]
    config = loading.load(path, env={"SCRAPE": "hidden-value-0123456789abcdef-0123456789"})
    assert config.server.metrics_token.reveal() == "hidden-value-0123456789abcdef-0123456789"
    assert "hidden-value-0123456789abcdef-0123456789" not in repr(config)
