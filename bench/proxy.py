"""The gateway's proxied GET against nginx and plain aiohttp, side by side in one run.

nginx serves an Avalon media object of about 1.9 KB as the upstream (and the list the
gateway's readiness probe reads). Then, one at a time and each as one process on a
free loopback port, these servers are measured with the same wrk load
(:mod:`bench._wrk`: ``wrk -t1 -c32 -d6s --latency`` after a one-second warm-up):

- the gateway: ``GET /backends/bench/media-objects/bench1`` with a bearer token, the
  Avalon adapter fetching ``/media_objects/bench1.json`` and translating it into HAL;
- nginx ``proxy_pass`` to the upstream (one worker, kept-alive upstream connections);
- a bare aiohttp handler answering the same bytes;
- a naive aiohttp proxy: fetch the upstream with one pooled session, answer its bytes;
- the gateway with its state in a redis-server (``session.store = "redis"``, as several
  workers need), as one process, then with ``server.workers = 2``, when the config takes
  that key: the two-worker comparison is between these two, so that both pay for Redis;
- the gateway answering from its response cache (``cache_max_age_s = 60`` on the
  backend), when the config takes that key and answers carry ``Age``.

The references run on uvloop when it is installed, else on asyncio's loop; the header
says which. Nothing is pinned to a CPU: wrk, the server and the upstream share the
machine's cores, as the ``server.workers`` comparison needs.
"""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench import _nginx, _redis, _wrk, goals
from bench._gateway import Keys, gateway, refusal
from bench._media_object import (
    GATEWAY_PATH,
    PROBE_PATH,
    UPSTREAM_PATH,
    media_object_bytes,
    probe_bytes,
)
from bench._processes import serving, spawn, stop
from bench._reference import event_loop

ROOT: Final = Path(__file__).resolve().parents[1]
WORKERS: Final = {"workers": 2}
CACHED: Final = {"cache_max_age_s": 60}


@dataclass(frozen=True, slots=True)
class Comparison:
    """What one run measured; a string where a variant could not run, saying why."""

    loop: str
    nginx_proxy: _wrk.Load
    bare: _wrk.Load
    naive: _wrk.Load
    gateway: _wrk.Load
    workers: tuple[_wrk.Load, _wrk.Load] | str
    """With sessions in Redis: one worker, then two."""
    cached: _wrk.Load | str

    def rows(self) -> list[goals.Row]:
        """The rows of goals P1, P2 and P3."""
        gw, naive = self.gateway, self.naive
        rows = [
            goals.PROXIED.row(
                f"gateway {gw.per_s:,.0f}, naive proxy {naive.per_s:,.0f} req/s",
                gw.per_s / naive.per_s,
            ),
            goals.PROXIED_P99.row(
                f"gateway {gw.p99_s * 1000:.1f} ms, naive proxy {naive.p99_s * 1000:.1f} ms",
                gw.p99_s / naive.p99_s,
            ),
        ]
        if isinstance(self.cached, str):
            rows.append(goals.CACHED.not_measured(self.cached))
        else:
            rows.append(
                goals.CACHED.row(
                    f"cached {self.cached.per_s:,.0f}, bare {self.bare.per_s:,.0f} req/s",
                    self.cached.per_s / self.bare.per_s,
                )
            )
        if isinstance(self.workers, str):
            rows.append(goals.WORKERS.not_measured(self.workers))
        else:
            one, two = self.workers
            rows.append(
                goals.WORKERS.row(
                    f"2 workers {two.per_s:,.0f}, one {one.per_s:,.0f} req/s (state in Redis)",
                    two.per_s / one.per_s,
                )
            )
        return rows


def get(url: str, headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """GET ``url`` once; its headers, or an error unless it answers 200."""
    # Servers this benchmark started, on http://127.0.0.1: no other scheme.
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {url} answered {response.status}")
        return dict(response.headers.items())


@contextmanager
def reference(mode: str, target: str) -> Iterator[str]:
    """One of the aiohttp reference servers (:mod:`bench._reference`); yields its URL."""
    # The repository's root on the path, wherever the benchmarks were started from.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = spawn([sys.executable, "-m", "bench._reference", mode, target], {"PYTHONPATH": path})
    try:
        yield serving(proc, f"the {mode} reference")
    finally:
        stop(proc)


def _line(name: str, load: _wrk.Load, gateway_load: _wrk.Load | None = None) -> None:
    ratio = f"  (gateway / it {gateway_load.per_s / load.per_s:.2f})" if gateway_load else ""
    print(f"  {name:<62} {load.describe()}{ratio}", flush=True)


def _gateway_variant(
    upstream: str, server: Keys, backend: Keys, session: Keys | None = None
) -> _wrk.Load | str:
    """The gateway with extra keys, measured; why not, when the config refuses them."""
    if refusal(upstream, server, backend, session) is not None:
        names = [f"server.{key}" for key in server] + [f"backends.<name>.{key}" for key in backend]
        names += [f"session.{key}" for key in session or {}]
        return f"{', '.join(names)} not configurable"
    with gateway(upstream, server, backend, session=session) as gw:
        url = gw.url + GATEWAY_PATH
        get(url, gw.headers)
        if backend.get("cache_max_age_s") and "Age" not in get(url, gw.headers):
            return "no response cache: a second GET carries no Age"
        return _wrk.measure(url, gw.headers)


def run() -> Comparison:
    """Start each server in turn, measure it, stop it; print a line per server."""
    body = media_object_bytes()
    loop = event_loop()
    print(
        f"proxied GET of a {len(body):,}-byte Avalon media object from nginx: "
        f"wrk -t1 -c{_wrk.CONNECTIONS} -d{_wrk.SECONDS}s --latency after a {_wrk.WARM_UP_S} s "
        f"warm-up, one process per server, references on {loop}"
        + ("" if loop == "uvloop" else " (uvloop is not installed)"),
        flush=True,
    )
    with (
        _nginx.upstream({UPSTREAM_PATH: body, PROBE_PATH: probe_bytes()}) as upstream,
        tempfile.TemporaryDirectory(prefix="bench-bare-") as folder,
    ):
        # The gateway first, so that each reference's line can show the ratio at once.
        with gateway(upstream) as gw:
            get(gw.url + GATEWAY_PATH, gw.headers)
            proxied = _wrk.measure(gw.url + GATEWAY_PATH, gw.headers)
        _line(f"the gateway: GET {GATEWAY_PATH}, bearer token", proxied)
        with _nginx.proxy(upstream) as url:
            get(url + UPSTREAM_PATH)
            nginx_proxy = _wrk.measure(url + UPSTREAM_PATH)
        _line("nginx proxy_pass (1 worker)", nginx_proxy, proxied)
        answer = Path(folder) / "answer.json"
        answer.write_bytes(body)
        with reference("bare", str(answer)) as url:
            get(url + UPSTREAM_PATH)
            bare = _wrk.measure(url + UPSTREAM_PATH)
        _line(f"bare aiohttp handler returning the bytes ({loop})", bare, proxied)
        with reference("proxy", upstream) as url:
            get(url + UPSTREAM_PATH)
            naive = _wrk.measure(url + UPSTREAM_PATH)
        _line(f"naive aiohttp proxy (fetch upstream, return bytes; {loop})", naive, proxied)
        workers = _workers(upstream)
        cached = _gateway_variant(upstream, {}, CACHED)
        _variant_line("the gateway, answered from its cache (cache_max_age_s = 60)", cached)
    return Comparison(loop, nginx_proxy, bare, naive, proxied, workers, cached)


def _workers(upstream: str) -> tuple[_wrk.Load, _wrk.Load] | str:
    """The gateway with its state in Redis, one worker then two; why not, when it cannot."""
    try:
        _redis.executable()
    except RuntimeError as exc:
        _variant_line("the gateway, server.workers = 2", str(exc))
        return str(exc)
    with _redis.server() as url:
        session = {"store": "redis", "redis_url": url}
        one = _gateway_variant(upstream, {}, {}, session)
        _variant_line('the gateway, session.store = "redis" (one process)', one)
        two = _gateway_variant(upstream, WORKERS, {}, session)
        _variant_line('the gateway, session.store = "redis", server.workers = 2', two)
    if isinstance(one, str):
        return one
    if isinstance(two, str):
        return two
    return one, two


def _variant_line(name: str, load: _wrk.Load | str) -> None:
    if isinstance(load, str):
        print(f"  {name:<62} n/a ({load})", flush=True)
    else:
        _line(name, load)


def main() -> list[goals.Row]:
    """Run the comparison; the rows of goals P1 to P3."""
    return run().rows()
