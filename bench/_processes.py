"""What the upload benchmarks share: the gateway and a simulator as processes, their
memory, and generated payloads."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from gateway.auth.passwords import Cost, hash_password

CHUNK = 1024 * 1024


def start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Run ``python -m gateway ARGS``; return the process and the URL it serves on."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "serving on" not in line:
        proc.kill()
        proc.wait(timeout=30)
        raise RuntimeError(f"{args[0]} did not start: {line!r}")
    # Whatever the process prints later is read and dropped: a full pipe would block it.
    threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
    return proc, line.rsplit(" ", 1)[1].strip().rstrip("/")


def _drain(stream: IO[str]) -> None:
    for _ in stream:
        pass


def stop(*procs: subprocess.Popen[str] | None, sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to every started process, then wait for each to end."""
    running = [p for p in procs if p is not None]
    for proc in running:
        if proc.poll() is None:
            proc.send_signal(sig)
    for proc in running:
        proc.wait(timeout=30)


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


def _bearer(url: str, client_id: str, secret: str) -> dict[str, str]:
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

    ``backend`` holds the backend's own keys (string values, ``${VAR}`` references
    resolved from ``env``). Yields the gateway process, its URL and the headers of a
    logged-in editor client.
    """
    secret = secrets.token_urlsafe(16)
    simulator, sim_url = start("simulate", kind, "--port", "0", *simulator_args)
    gateway = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            keys = "".join(f'{key} = "{value}"\n' for key, value in (backend or {}).items())
            config = Path(folder) / "gateway.toml"
            config.write_text(
                "[server]\nport = 0\n"
                '[[auth.clients]]\nclient_id = "bench"\nroles = ["editor"]\n'
                f'secret_hash = "{hash_password(secret, Cost(ln=14))}"\n'
                f'[backends.{kind}]\nkind = "{kind}"\nurl = "{sim_url}"\n' + keys
            )
            gateway, url = start("serve", "--config", str(config), env=dict(env or {}))
            yield gateway, url, _bearer(url, "bench", secret)
    finally:
        stop(gateway, simulator)
