"""``server.workers``: several serving processes on one port, as an operator runs them.

Everything is real: ``hal-gateway serve`` as a process with its workers, an upstream
simulator as a process, the suite's redis-server, sockets on loopback. Which process
holds which socket is read from ``/proc``, as ``ss -tnp`` shows an operator.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, NamedTuple

import pytest

from gateway.auth.passwords import hash_password
from gateway.cli import main
from tests.support import processes
from tests.support.identities import CHEAP, SIGNING_KEY
from tests.support.polling import wait_until
from tests.support.processes import Started

PASSWORD: Final = "operator-password"
TOKEN: Final = "azure-token"
WITHIN_S: Final = 20.0
"""Bound of every wait for processes to start, stop or appear."""
REDIS: Final = "redis://redis.internal:6379/0"
"""A Redis URL for configs that are only checked: nothing connects to it."""
CONNECTIONS: Final = 16
"""Connections opened at once: all of them landing on one of two workers is a 2**-15 chance."""
_LISTEN, _ESTABLISHED = "0A", "01"


def write_config(
    path: Path, *, workers: int = 2, session: str = "", backend: str = "", port: int = 0
) -> Path:
    """A config with one user, ``workers`` workers, and the given tables."""
    path.write_text(
        f"[server]\nport = {port}\nworkers = {workers}\nrate_limit_per_s = 0\n"
        f'[auth]\nsigning_key = "{SIGNING_KEY}"\n'
        f'[[auth.users]]\nname = "operator"\nroles = ["reader"]\n'
        f'password_hash = "{hash_password(PASSWORD, CHEAP)}"\n' + session + backend
    )
    return path


def redis_session(redis_url: str, key_prefix: str) -> str:
    return f'[session]\nstore = "redis"\nredis_url = "{redis_url}"\nkey_prefix = "{key_prefix}"\n'


def azure_backend(url: str) -> str:
    return f'[backends.media]\nkind = "azure"\nurl = "{url}"\ntoken = "{TOKEN}"\n'


class Served(NamedTuple):
    """A started ``hal-gateway serve``: the supervisor's process, its URL and port."""

    proc: subprocess.Popen[str]
    url: str
    port: int


@pytest.fixture
def served(tmp_path: Path, process: Started, redis_url: str, key_prefix: str) -> Served:
    """The gateway with 2 workers and sessions in Redis, in front of an Azure connector
    simulator; its log is ``tmp_path/gw.log``."""
    _, upstream = processes.start(
        process, "simulate", "azure", "--token", TOKEN, log=tmp_path / "simulator.log"
    )
    path = write_config(
        tmp_path / "gw.toml",
        session=redis_session(redis_url, key_prefix),
        backend=azure_backend(upstream),
    )
    proc, url = processes.start(process, "serve", "--config", str(path), log=tmp_path / "gw.log")
    return Served(proc, url, int(url.rstrip("/").rsplit(":", 1)[1]))


# -- the processes and their sockets, from /proc ----------------------------------------


def children(pid: int) -> set[int]:
    """The running child processes of ``pid``."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return {c for c in found if alive(c)}


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def socket_owners(pids: set[int]) -> dict[int, int]:
    """Socket inode → the one of ``pids`` that holds it."""
    owners: dict[int, int] = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except FileNotFoundError:
                continue  # closed meanwhile
            if target.startswith("socket:["):
                owners[int(target[8:-1])] = pid
    return owners


def tcp_sockets(port: int, state: str) -> dict[int, int]:
    """Inode → remote port of the TCP sockets on local ``port`` in ``state``."""
    found: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, st, inode = fields[1], fields[2], fields[3], int(fields[9])
            if st == state and int(local.rsplit(":", 1)[1], 16) == port:
                found[inode] = int(remote.rsplit(":", 1)[1], 16)
    return found


def listening(pids: set[int], port: int) -> set[int]:
    """Which of ``pids`` hold a socket listening on ``port``."""
    owners = socket_owners(pids)
    return {owners[i] for i in tcp_sockets(port, _LISTEN) if i in owners}


def accepted_by(pids: set[int], port: int, connection: http.client.HTTPConnection) -> int:
    """The one of ``pids`` that accepted ``connection`` (it holds the connection's server side)."""
    assert connection.sock is not None
    client_port = connection.sock.getsockname()[1]
    owners = socket_owners(pids)
    [pid] = {
        owners[i]
        for i, remote in tcp_sockets(port, _ESTABLISHED).items()
        if remote == client_port and i in owners
    }
    return pid


# -- HTTP over connections of our choosing ----------------------------------------------


@pytest.fixture
def connections() -> Iterator[Callable[[int, int], list[http.client.HTTPConnection]]]:
    """``open(port, n)``: n kept-alive connections to the gateway, each already used once."""
    opened: list[http.client.HTTPConnection] = []

    def open_(port: int, count: int) -> list[http.client.HTTPConnection]:
        new = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(count)]
        opened.extend(new)
        for connection in new:
            assert call(connection, "GET", "/healthz")[0] == 200  # connected and accepted
        return new

    yield open_
    for connection in opened:
        connection.close()


def call(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, http.client.HTTPResponse]:
    """One request on ``connection``: the status, the JSON body (or None), the response."""
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    raw = response.read()
    assert response.getheader("Connection") != "close"  # the connection stays ours
    return response.status, json.loads(raw) if raw else None, response


# -- serving ----------------------------------------------------------------------------


def test_two_workers_share_the_port_and_every_login(
    served: Served,
    connections: Callable[[int, int], list[http.client.HTTPConnection]],
) -> None:
    proc, port = served.proc, served.port
    workers = children(proc.pid)
    assert len(workers) == 2
    assert listening(workers, port) == workers
    assert not listening({proc.pid}, port)  # the supervisor holds the port, serves nothing

    spread = connections(port, CONNECTIONS)
    by_worker = {
        pid: [c for c in spread if accepted_by(workers, port, c) == pid] for pid in workers
    }
    assert all(by_worker.values()), "every connection went to one worker"

    first = spread[0]
    form = f"grant_type=password&username=operator&password={PASSWORD}"
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    status, issued, _ = call(first, "POST", "/auth/token", form, form_type)
    assert status == 200
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    login = json.dumps({"username": "operator", "password": PASSWORD})
    status, me, response = call(
        first, "POST", "/auth/login", login, {"Content-Type": "application/json"}
    )
    assert (status, me["via"]) == (200, "session")
    cookie = {"Cookie": response.getheader("Set-Cookie", "").split(";", 1)[0]}

    for connection in spread:  # both workers' connections
        status, backends, _ = call(connection, "GET", "/backends", headers=bearer)
        assert (status, backends["count"]) == (200, 1)
        status, me, _ = call(connection, "GET", "/auth/me", headers=cookie)
        assert (status, me["name"], me["via"]) == (200, "operator", "session")

    # A token revoked on one worker is revoked on all.
    assert call(first, "POST", "/auth/logout", headers=bearer)[0] == 204
    for connection in spread:
        assert call(connection, "GET", "/backends", headers=bearer)[0] == 401


def test_the_first_line_is_printed_once_when_every_worker_serves(
    served: Served, tmp_path: Path
) -> None:
    proc, port = served.proc, served.port
    # Once the line is out, both workers listen, and the URL it names serves.
    assert len(listening(children(proc.pid), port)) == 2
    assert served.url == f"http://127.0.0.1:{port}/"
    with urllib.request.urlopen(served.url + "healthz", timeout=10) as response:
        assert response.status == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=WITHIN_S) == 0
    assert proc.stdout is not None
    assert proc.stdout.read() == ""  # nothing after the one line
    log = (tmp_path / "gw.log").read_text()
    assert "2 workers serving" in log
    assert "(worker 1): config" in log
    assert "(worker 2): config" in log


def test_sigterm_stops_every_worker_and_exits_0(served: Served, tmp_path: Path) -> None:
    proc, port = served.proc, served.port
    workers = children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=WITHIN_S) == 0
    wait_until(lambda: not any(map(alive, workers)), "every worker ended")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert "Traceback" not in (tmp_path / "gw.log").read_text()


def test_workers_stop_when_the_supervisor_is_killed(
    served: Served,
) -> None:
    proc, port = served.proc, served.port
    workers = children(proc.pid)
    proc.kill()
    proc.wait(timeout=WITHIN_S)
    wait_until(lambda: not any(map(alive, workers)), "every worker ended")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_a_worker_that_dies_is_replaced_and_the_others_serve_on(
    served: Served,
    connections: Callable[[int, int], list[http.client.HTTPConnection]],
    tmp_path: Path,
) -> None:
    proc, port = served.proc, served.port
    workers = children(proc.pid)
    survivor, victim = sorted(workers)
    kept = [c for c in connections(port, CONNECTIONS) if accepted_by(workers, port, c) == survivor]
    assert kept
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: not alive(victim), "the killed worker ended")
    wait_until(lambda: len(listening(children(proc.pid), port)) == 2, "a new worker listens")
    assert len(children(proc.pid) - {survivor}) == 1
    for connection in kept:
        assert call(connection, "GET", "/healthz")[0] == 200
    log = (tmp_path / "gw.log").read_text()
    assert f"(pid {victim}) ended unexpectedly (killed by SIGKILL); starting a new one" in log
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=WITHIN_S) == 0


def test_a_worker_that_cannot_start_again_stops_everything_with_exit_1(
    served: Served, tmp_path: Path
) -> None:
    proc = served.proc
    workers = children(proc.pid)
    # The config file broke while the gateway ran: a new worker reads it, and cannot start.
    (tmp_path / "gw.toml").write_text("[server]\nworkers = 0\n")
    os.kill(min(workers), signal.SIGKILL)
    assert proc.wait(timeout=WITHIN_S) == 1
    wait_until(lambda: not any(map(alive, workers)), "every worker ended")
    log = (tmp_path / "gw.log").read_text()
    assert "server.workers: must be at least 1" in log
    assert "did not start (exit code 2; its log is above); stopping the other workers" in log


@pytest.mark.parametrize("workers", [pytest.param(1, id="one"), pytest.param(2, id="two")])
def test_a_taken_port_makes_serve_exit_1_saying_so(tmp_path: Path, workers: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        session = redis_session(REDIS, "x:")
        path = write_config(tmp_path / "gw.toml", workers=workers, port=port, session=session)
        done = processes.run("serve", "--config", str(path), timeout=WITHIN_S)
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"hal-gateway: cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "Traceback" not in done.stderr


# -- what the config accepts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("workers", "expected"),
    [
        pytest.param("0", "server.workers: must be at least 1", id="zero"),
        pytest.param("65", "server.workers: must be at most 64", id="too-many"),
        pytest.param('"two"', "server.workers: must be an integer, got 'two'", id="not-a-number"),
    ],
)
def test_check_config_refuses_a_workers_count_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str, expected: str
) -> None:
    path = tmp_path / "gw.toml"
    path.write_text(f"[server]\nworkers = {workers}\n")
    assert main(["check-config", str(path)]) == 2
    assert expected in capsys.readouterr().err


def test_several_workers_need_the_redis_session_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path / "gw.toml", workers=2)
    assert main(["check-config", str(path)]) == 2
    assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    problem = 'server.workers: 2 workers need session.store = "redis"'
    assert err.count(problem) == 2


def test_several_workers_cannot_serve_in_process_simulators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(
        tmp_path / "gw.toml",
        session=redis_session(REDIS, "x:"),
        backend=azure_backend("simulator"),
    )
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert 'backends.media.url: "simulator" needs server.workers = 1' in err
    assert "hal-gateway simulate azure" in err
    path = write_config(
        tmp_path / "gw.toml",
        workers=1,
        session=redis_session(REDIS, "x:"),
        backend=azure_backend("simulator"),
    )
    assert main(["check-config", str(path)]) == 0
