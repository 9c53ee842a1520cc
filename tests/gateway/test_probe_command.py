"""``hal-gateway probe``: every backend of a config probed once, as an operator runs it."""

from __future__ import annotations

from pathlib import Path

from tests.support import processes
from tests.support.paths import EMBEDDED_CONFIG
from tests.support.processes import Started


def _probe(config: Path) -> tuple[int, list[list[str]], list[str]]:
    """Exit code, the table's rows split on runs of spaces, and the lines after the table."""
    done = processes.run("probe", "--config", str(config), timeout=60)
    lines = done.stdout.splitlines()
    table = [line.split("  ") for line in lines if "  " in line]
    rows = [[cell.strip() for cell in row if cell.strip()] for row in table]
    after = [line for line in lines if "  " not in line]
    return done.returncode, rows, after


def test_every_simulated_backend_of_the_embedded_config_is_ready() -> None:
    code, rows, after = _probe(EMBEDDED_CONFIG)
    assert code == 0, (rows, after)
    assert rows[0] == ["backend", "kind", "reachable", "login", "latency", "breaker"]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows[1:]] == [
        (name, name, "yes", "ok", "closed") for name in ("avalon", "mediacentral", "flex", "azure")
    ]
    assert all(r[4].endswith(" ms") for r in rows[1:])
    assert after == []


def test_a_backend_on_a_closed_port_is_unreachable_and_the_exit_code_1(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    config = tmp_path / "gw.toml"
    config.write_text(
        f"""
[backends.mam]
kind = "flex"
url = "simulator"
username = "u"
password = "p-secret"
[backends.down]
kind = "azure"
url = "http://127.0.0.1:{unused_tcp_port}"
token = "t-secret"
retries = 0
"""
    )
    code, rows, after = _probe(config)
    assert code == 1
    assert [r[:4] for r in rows[1:]] == [
        ["mam", "flex", "yes", "ok"],
        ["down", "azure", "no", "not tried"],
    ]
    assert after == ["down: not ready: backend down is unreachable (ClientConnectorError)"]


def test_a_refused_login_says_so_in_its_row(tmp_path: Path, process: Started) -> None:
    _, url = processes.start(process, "simulate", "flex", "--user", "someone=right")
    config = tmp_path / "gw.toml"
    config.write_text(
        f"""
[backends.wrong]
kind = "flex"
url = "{url}"
username = "someone"
password = "not-right"
"""
    )
    code, rows, after = _probe(config)
    assert code == 1
    [row] = rows[1:]
    assert row[:4] == ["wrong", "flex", "yes", "failed: refused (401)"]
    assert after == [
        "wrong: not ready: backend wrong refused the gateway's credentials; "
        "check the backend's configuration"
    ]


def test_a_bad_config_is_exit_code_2(tmp_path: Path) -> None:
    config = tmp_path / "gw.toml"
    config.write_text('[backends.x]\nkind = "no-such-kind"\nurl = "simulator"\n')
    code, rows, _ = _probe(config)
    assert code == 2
    assert rows == []
