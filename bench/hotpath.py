"""A profile of the gateway under the proxied-GET load of :mod:`bench.proxy` (goal P2).

The gateway runs under cProfile (``python -m cProfile -o FILE -m gateway serve``) with
the same upstream, config and wrk load as in the comparison; stopped with SIGTERM, it
shuts down cleanly and cProfile writes its statistics. The functions that take the most
time, with and without what they call, are printed as shares of the whole process'
profiled time (start-up and idle waiting in the event loop's ``select`` included; the
load runs 20 s, so start-up is a small part). Calls of coroutines count each time one
resumes, not once per request. cProfile slows
the gateway down several times, so the requests a second it prints mean nothing: only
the shares do.
"""

from __future__ import annotations

import pstats
import tempfile
from pathlib import Path

from bench import _nginx, _wrk
from bench._gateway import gateway
from bench._media_object import (
    GATEWAY_PATH,
    PROBE_PATH,
    UPSTREAM_PATH,
    media_object_bytes,
    probe_bytes,
)
from bench.proxy import get

DEFAULT_OUT = Path(tempfile.gettempdir()) / "hal-gateway-proxied-get.prof"


def _where(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename == "~":  # a built-in function
        return name
    for marker in ("/site-packages/", "/lib/python3", "/work/", "/main/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({name})"


def summary(path: Path, top: int = 25) -> str:
    """The ``top`` functions by cumulative and by own time, as shares of the total."""
    stats = pstats.Stats(str(path))
    entries = stats.stats  # type: ignore[attr-defined]
    total: float = stats.total_tt  # type: ignore[attr-defined]
    lines = [f"profile {path}: {total:.2f} s of profiled time"]
    for title, column in (("cumulative (with callees)", 3), ("own time", 2)):
        lines.append(f"top {top} by {title}: cumulative  own  calls  function")
        ranked = sorted(entries.items(), key=lambda item: item[1][column], reverse=True)
        for key, (_cc, calls, own, cumulative, _callers) in ranked[:top]:
            lines.append(
                f"  {cumulative / total:6.1%} {own / total:6.1%} {calls:>9,}  {_where(key)}"
            )
    return "\n".join(lines)


def run(out: Path = DEFAULT_OUT, top: int = 25, seconds: float = 20) -> None:
    """Profile the gateway under ``seconds`` of the P2 load (after a warm-up second); write
    the statistics to ``out`` and print a summary."""
    files = {UPSTREAM_PATH: media_object_bytes(), PROBE_PATH: probe_bytes()}
    python = ("-m", "cProfile", "-o", str(out))
    with _nginx.upstream(files) as upstream:
        with gateway(upstream, python=python) as gw:
            url = gw.url + GATEWAY_PATH
            get(url, gw.headers)
            _wrk.run(url, _wrk.WARM_UP_S, gw.headers)
            load = _wrk.run(url, seconds, gw.headers)
        print(f"gateway under cProfile: {load.describe()} (slowed by the profiler)")
    print(summary(out, top))
