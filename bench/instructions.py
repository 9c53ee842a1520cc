"""Instructions per request under valgrind: the proxy comparison without the noise.

Requests per second move with whatever else the machine does; the instructions a server
executes per request do not. Each server of :mod:`bench.proxy` but nginx runs under
callgrind (``valgrind --tool=callgrind``) with counting off while it starts; after a
warm-up, counting is turned on (``callgrind_control -i on``) for a few seconds of
``wrk -t1 -c2``, then off, and the count is divided by the requests wrk saw answered.
The upstream is nginx, outside valgrind. The ratios estimate what the goals measure when
the server is what limits throughput (one core busy with it): P2's is the naive proxy's
instructions per request ÷ the gateway's, P1's the bare handler's ÷ the cached gateway's.

Under valgrind a server runs about fifty times slower, so a few hundred requests are
counted; a run of all four takes two to three minutes. Needs valgrind (Debian package
``valgrind``; ``make bench-tools`` installs it). Not part of the default set:
``python -m bench instructions``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench import _nginx, _wrk
from bench._gateway import Keys, config_text
from bench._media_object import (
    GATEWAY_PATH,
    PROBE_PATH,
    UPSTREAM_PATH,
    media_object_bytes,
    probe_bytes,
)
from bench._processes import bearer, serving, spawn, stop, tool

ROOT: Final = Path(__file__).resolve().parents[1]
COUNTED_S: Final = 8
"""Seconds of load counted per server (a few hundred requests under valgrind)."""
CACHED: Final[Keys] = {"cache_max_age_s": 60}


@dataclass(frozen=True, slots=True)
class Count:
    """What one server executed for the requests answered while counting."""

    requests: int
    instructions: int

    @property
    def per_request(self) -> float:
        """Instructions per request."""
        return self.instructions / self.requests


@contextmanager
def _counted(argv: Sequence[str], what: str) -> Iterator[tuple[int, str, Path]]:
    """``argv`` (a Python module run) under callgrind, counting off; (pid, URL, out file)."""
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            tool("valgrind", "bench-tools"),
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            *argv,
        ]
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        proc = spawn(command, {"PYTHONPATH": path})
        try:
            yield proc.pid, serving(proc, what), out
        finally:
            stop(proc)


def _count(pid: int, out: Path, url: str, headers: Mapping[str, str] | None = None) -> Count:
    """Count the instructions of ``pid`` during :data:`COUNTED_S` seconds of load on ``url``."""
    _wrk.run(url, 2, headers, connections=2)  # warm-up: imports and caches filled
    control = tool("callgrind_control", "bench-tools")
    subprocess.run([control, "-i", "on", str(pid)], capture_output=True, check=True)
    load = _wrk.run(url, COUNTED_S, headers, connections=2)
    subprocess.run([control, "-i", "off", str(pid)], capture_output=True, check=True)
    subprocess.run([control, "-d", str(pid)], capture_output=True, check=True)
    total = 0
    for dump in out.parent.glob(out.name + "*"):
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    if not total or not load.requests:
        raise RuntimeError(f"callgrind counted nothing for {url}")
    return Count(load.requests, total)


def _reference(mode: str, target: str) -> Count:
    argv = ["-m", "bench._reference", mode, target]
    with _counted(argv, f"the {mode} reference") as (pid, url, out):
        return _count(pid, out, url + UPSTREAM_PATH)


def _gateway(upstream: str, backend: Keys | None = None) -> Count:
    secret = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        config = Path(folder) / "gateway.toml"
        config.write_text(config_text(upstream, secret, None, backend, None))
        argv = ["-m", "gateway", "serve", "--config", str(config)]
        with _counted(argv, "the gateway") as (pid, url, out):
            return _count(pid, out, url + GATEWAY_PATH, bearer(url, "bench", secret))


def main() -> None:
    """Count each server and print instructions per request and the two ratios."""
    print(
        f"instructions per request under callgrind: wrk -t1 -c2 for {COUNTED_S} s per server "
        "after a 2 s warm-up, counting on only meanwhile; nginx upstream outside valgrind",
        flush=True,
    )
    with (
        _nginx.upstream({UPSTREAM_PATH: media_object_bytes(), PROBE_PATH: probe_bytes()}) as up,
        tempfile.TemporaryDirectory(prefix="bench-bare-") as folder,
    ):
        answer = Path(folder) / "answer.json"
        answer.write_bytes(media_object_bytes())
        counts = {
            "bare aiohttp handler returning the bytes": _reference("bare", str(answer)),
            "naive aiohttp proxy": _reference("proxy", up),
            "the gateway: proxied, translated GET, bearer token": _gateway(up),
            "the gateway, answered from its cache": _gateway(up, CACHED),
        }
    for name, count in counts.items():
        print(
            f"  {name:<62} {count.per_request / 1e6:6.3f} M instructions/request "
            f"({count.requests} requests)",
            flush=True,
        )
    bare, naive, proxied, cached = (c.per_request for c in counts.values())
    print(f"  naive proxy ÷ gateway (P2's measure, CPU-bound): {naive / proxied:.2f}x")
    print(f"  bare handler ÷ gateway from its cache (P1's, CPU-bound): {bare / cached:.2f}x")
