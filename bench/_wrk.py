"""Load from wrk: one thread, a fixed number of keep-alive connections, latency percentiles.

Every server is driven the same way (``wrk -t1 -c32 -dNs --latency``) after a warm-up
run of one second, so their figures compare within one run on one machine.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from bench._processes import tool

CONNECTIONS: Final = 32
SECONDS: Final = 6
WARM_UP_S: Final = 1

_UNITS_S: Final = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_P99: Final = re.compile(r"^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RATE: Final = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_COUNT: Final = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_NON_2XX: Final = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS: Final = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)


@dataclass(frozen=True, slots=True)
class Load:
    """What one wrk run measured."""

    requests: int
    seconds: float
    per_s: float
    p99_s: float
    failed: int
    """Answers other than 2xx or 3xx, and socket errors (connect, read, write, timeout)."""

    def describe(self) -> str:
        """``31,100 req/s, p99 2.40 ms`` (and the failures, when any)."""
        text = f"{self.per_s:,.0f} req/s, p99 {self.p99_s * 1000:.2f} ms"
        return text + (f", {self.failed} failed" if self.failed else "")


def wrk() -> str:
    """The wrk executable; an error saying how to install it when there is none."""
    return tool("wrk", "bench-tools")


def parse(output: str) -> Load:
    """The figures of wrk's ``--latency`` report."""
    rate, p99, count = _RATE.search(output), _P99.search(output), _COUNT.search(output)
    if rate is None or p99 is None or count is None:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    failed = 0
    if (non_2xx := _NON_2XX.search(output)) is not None:
        failed += int(non_2xx.group(1))
    if (errors := _SOCKET_ERRORS.search(output)) is not None:
        failed += sum(int(n) for n in errors.groups())
    return Load(
        requests=int(count.group(1)),
        seconds=float(count.group(2)) * _UNITS_S[count.group(3)],
        per_s=float(rate.group(1)),
        p99_s=float(p99.group(1)) * _UNITS_S[p99.group(2)],
        failed=failed,
    )


def run(
    url: str,
    seconds: float = SECONDS,
    headers: Mapping[str, str] | None = None,
    connections: int = CONNECTIONS,
) -> Load:
    """One wrk run of ``seconds`` against ``url`` (whole seconds, at least one)."""
    argv = [wrk(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*argv, url], capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse(done.stdout)


def measure(url: str, headers: Mapping[str, str] | None = None) -> Load:
    """A warm-up run, then the measured one."""
    run(url, WARM_UP_S, headers)
    return run(url, SECONDS, headers)
