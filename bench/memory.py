"""The gateway's resident memory under a long steady load of proxied GETs.

The gateway (one process, :mod:`bench._gateway`) serves the media object of
:mod:`bench.proxy` from nginx to wrk (32 connections). After a warm-up of about
``warm_up`` requests its resident memory (``VmRSS`` in ``/proc/<pid>/status``) is read,
then wrk runs until at least ``requests`` more have been answered, and it is read again:
the goal is that it stays flat (within 10 MB). wrk runs for a time, not a count, so each
run's length is worked out from the rate measured so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench import _nginx, _wrk, goals
from bench._gateway import gateway
from bench._media_object import (
    GATEWAY_PATH,
    PROBE_PATH,
    UPSTREAM_PATH,
    media_object_bytes,
    probe_bytes,
)
from bench._processes import memory_kib
from bench.proxy import get


@dataclass(frozen=True, slots=True)
class Steady:
    """Resident memory after the warm-up and after the measured requests."""

    warm_up: int
    requests: int
    before_kib: int
    after_kib: int
    failed: int

    def rows(self) -> list[goals.Row]:
        """The row of goal P5's steady part."""
        before, after = goals.megabytes(self.before_kib), goals.megabytes(self.after_kib)
        measured = f"{before:.1f} -> {after:.1f} MB over {self.requests:,} requests"
        if self.failed:
            measured += f" ({self.failed} failed)"
        return [goals.STEADY_RSS.row(measured, after - before)]


def _serve_at_least(url: str, headers: dict[str, str], count: int, per_s: float) -> tuple[int, int]:
    """Run wrk until ``count`` requests are answered; the answered and failed counts."""
    served = failed = 0
    while served < count:
        seconds = max(1, math.ceil((count - served) / per_s * 1.05))
        load = _wrk.run(url, seconds, headers)
        served += load.requests
        failed += load.failed
        per_s = max(load.per_s, 1.0)
    return served, failed


def run(warm_up: int = 10_000, requests: int = 100_000) -> Steady:
    """Warm the gateway up, then measure its memory over ``requests`` more; print it."""
    files = {UPSTREAM_PATH: media_object_bytes(), PROBE_PATH: probe_bytes()}
    with _nginx.upstream(files) as upstream, gateway(upstream) as gw:
        url = gw.url + GATEWAY_PATH
        get(url, gw.headers)
        first = _wrk.run(url, 1, gw.headers)
        warmed, _ = _serve_at_least(url, gw.headers, warm_up - first.requests, first.per_s)
        before = memory_kib(gw.proc.pid, "VmRSS")
        served, failed = _serve_at_least(url, gw.headers, requests, first.per_s)
        after = memory_kib(gw.proc.pid, "VmRSS")
    steady = Steady(first.requests + warmed, served, before, after, failed)
    print(
        f"gateway resident memory under proxied GETs: {goals.megabytes(before):.1f} MB after "
        f"{steady.warm_up:,} requests, {goals.megabytes(after):.1f} MB after {served:,} more "
        f"({failed} failed)",
        flush=True,
    )
    return steady


def main() -> list[goals.Row]:
    """Run the steady load; the row of goal P5's steady part."""
    return run().rows()
