"""What the benchmarks share: the gateway, simulators and other servers as processes on
loopback, their memory, and generated payloads.

Every process is started in a session (process group) of its own and stopped with its
whole group, so a server that forks workers leaves none behind.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from gateway.auth.passwords import Cost, hash_password

CHUNK = 1024 * 1024


def tool(name: str, installer: str, extra_path: str = "") -> str:
    """The executable ``name``, also looked for in ``extra_path`` (``/usr/sbin`` is often not
    on a user's ``PATH``); an error naming the make target that installs it when missing."""
    found = shutil.which(name) or (shutil.which(name, path=extra_path) if extra_path else None)
    if found is None:
        raise RuntimeError(f"{name} is not installed: `make {installer}` installs it")
    return found


def spawn(argv: Sequence[str], env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """Run ``argv`` in a process group of its own, its standard output a pipe."""
    return subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def serving(proc: subprocess.Popen[str], what: str) -> str:
    """The URL in the ``... serving on URL`` line ``proc`` prints first; it is stopped if none."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "serving on" not in line:
        stop(proc, sig=signal.SIGKILL)
        raise RuntimeError(f"{what} did not start: {line!r}")
    # Whatever the process prints later is read and dropped: a full pipe would block it.
    threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
    return line.rsplit(" ", 1)[1].strip().rstrip("/")


def start(
    *args: str, env: dict[str, str] | None = None, python: Sequence[str] = ()
) -> tuple[subprocess.Popen[str], str]:
    """Run ``python [PYTHON] -m gateway ARGS``; return the process and the URL it serves on.

    ``python`` holds interpreter arguments before ``-m gateway`` (``-m cProfile -o FILE``).
    """
    proc = spawn([sys.executable, *python, "-m", "gateway", *args], env)
    return proc, serving(proc, args[0])


def _drain(stream: IO[str]) -> None:
    for _ in stream:
        pass


def stop(*procs: subprocess.Popen[str] | None, sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to every started process' group, then wait for each to end.

    A process still running 30 s later is killed with its group.
    """
    running = [p for p in procs if p is not None]
    for proc in running:
        if proc.poll() is None:
            _signal_group(proc, sig)
    for proc in running:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=30)


def _signal_group(proc: subprocess.Popen[str], sig: int) -> None:
    with suppress(ProcessLookupError):  # ended in between
        os.killpg(proc.pid, sig)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for servers that need one given)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(proc: subprocess.Popen[str], port: int, what: str, within_s: float = 10) -> None:
    """Wait until ``port`` on 127.0.0.1 takes connections; fail if ``proc`` ends first."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} ended with exit code {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    stop(proc, sig=signal.SIGKILL)
    raise RuntimeError(f"{what} did not listen on port {port} within {within_s:.0f} s")


def memory_kib(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` memory field (``VmRSS``, ``VmHWM``) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def baseline_kib(pid: int) -> int:
    """The resident memory now, with the peak reset to it (``VmHWM`` counts from here).

    The login before a measurement hashes a secret with scrypt, which needs megabytes
    for a moment; that peak is not the transfer's.
    """
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return memory_kib(pid, "VmRSS")


async def payload(size: int, digest: Any) -> AsyncIterator[bytes]:
    """``size`` bytes in 1 MiB chunks, made as they are sent and fed to ``digest``."""
    block = bytes(range(256)) * (CHUNK // 256)
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        digest.update(piece)
        sent += len(piece)
        yield piece


def bearer(url: str, client_id: str, secret: str) -> dict[str, str]:
    """An ``Authorization`` header from the gateway's token endpoint (client credentials)."""
    form = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    # The gateway this module just started, on http://127.0.0.1: no other scheme.
    with urllib.request.urlopen(f"{url}/auth/token", data=form, timeout=30) as response:  # noqa: S310
        return {"Authorization": f"Bearer {json.load(response)['access_token']}"}


@contextmanager
def gateway_on_simulator(
    kind: str,
    simulator_args: Sequence[str] = (),
    backend: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[tuple[subprocess.Popen[str], str, dict[str, str]]]:
    """A ``kind`` simulator and a gateway in front of it, as processes; both stop after.

    Rate limits are off: one client makes every request. ``backend`` holds the backend's
    own keys (string values, ``${VAR}`` references resolved from ``env``). Yields the
    gateway process, its URL and the headers of a logged-in editor client.
    """
    secret = secrets.token_urlsafe(16)
    simulator, sim_url = start("simulate", kind, "--port", "0", *simulator_args)
    gateway = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            keys = "".join(f'{key} = "{value}"\n' for key, value in (backend or {}).items())
            config = Path(folder) / "gateway.toml"
            config.write_text(
                "[server]\nport = 0\nrate_limit_per_s = 0\n"
                '[[auth.clients]]\nclient_id = "bench"\nroles = ["editor"]\n'
                f'secret_hash = "{hash_password(secret, Cost(ln=14))}"\n'
                f'[backends.{kind}]\nkind = "{kind}"\nurl = "{sim_url}"\n' + keys
            )
            gateway, url = start("serve", "--config", str(config), env=dict(env or {}))
            yield gateway, url, bearer(url, "bench", secret)
    finally:
        stop(gateway, simulator)
