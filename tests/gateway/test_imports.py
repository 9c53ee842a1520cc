"""A gateway in front of real upstreams loads no simulator module.

Each case runs a gateway in a fresh interpreter (this suite has long since imported every
simulator): it builds the app with ``create_app``, serves it on a loopback port in front
of stand-in upstreams, asks each backend's root once, stops, and reports the modules it
holds. Only a backend whose ``url`` is ``"simulator"`` may bring its kind's simulator in.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any, Final

import aiohttp
import pytest
from aiohttp import web

from gateway import plugins
from gateway.app import create_app
from gateway.backends.runtime import BACKENDS
from gateway.config import loading
from tests.support.identities import auth_table, bearer
from tests.support.paths import ROOT

UPSTREAM: Final = "upstream"
"""A backend ``url`` that :func:`serve_once` replaces with its stand-in upstream's URL."""
KINDS: Final = ("avalon", "azure", "flex", "mediacentral")
BACKENDS_OF_EVERY_KIND: Final = {
    "avalon": {"kind": "avalon", "url": UPSTREAM, "api_key": "a-secret"},
    "azure": {"kind": "azure", "url": UPSTREAM, "token": "t-secret"},
    "flex": {"kind": "flex", "url": UPSTREAM, "username": "u", "password": "p-secret"},
    "mediacentral": {
        "kind": "mediacentral",
        "url": UPSTREAM,
        "username": "u",
        "password": "p-secret",
    },
}
"""One backend of each built-in kind, named after its kind."""
SIMULATOR_MODULES: Final = (
    *(f"adapters.{kind}.simulator" for kind in KINDS),
    "adapters.simulation",
)


async def _serve(backends: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Serve a gateway in front of ``backends``, ask each backend's root once, stop.

    Every backend whose ``url`` is :data:`UPSTREAM` is sent to one stand-in upstream on
    loopback that answers 404 to everything: a real address, so the adapters' probes
    run as in production. Returns the status of each backend root.
    """
    upstream = web.AppRunner(web.Application())
    await upstream.setup()
    await web.TCPSite(upstream, "127.0.0.1", 0).start()
    upstream_url = f"http://127.0.0.1:{upstream.addresses[0][1]}"
    tables = {
        name: {**table, "url": upstream_url if table["url"] == UPSTREAM else table["url"]}
        for name, table in backends.items()
    }
    config = loading.parse({"server": {}, "backends": tables, "auth": auth_table()}, env={})
    app = create_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        await asyncio.wait_for(app[BACKENDS].probed.wait(), 30)
        statuses: dict[str, int] = {}
        async with aiohttp.ClientSession(headers=bearer(app, "admin")) as session:
            for name in backends:
                async with session.get(f"{base}/backends/{name}") as response:
                    statuses[name] = response.status
        return statuses
    finally:
        await runner.cleanup()
        await upstream.cleanup()


def serve_once(backends_json: str) -> None:
    """Entry point of the fresh interpreter: serve, then print statuses and modules as JSON."""
    statuses = asyncio.run(_serve(json.loads(backends_json)))
    print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))


def _gateway_in_a_fresh_process(
    backends: dict[str, dict[str, Any]],
) -> tuple[dict[str, int], set[str]]:
    """The root statuses and the loaded modules of :func:`serve_once` in a new interpreter."""
    code = "import sys\nfrom tests.gateway.test_imports import serve_once\nserve_once(sys.argv[1])"
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(backends)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    return report["statuses"], set(report["modules"])


def _under(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


def test_a_gateway_in_front_of_real_upstreams_loads_no_simulator() -> None:
    statuses, modules = _gateway_in_a_fresh_process(BACKENDS_OF_EVERY_KIND)

    # The gateway did serve every kind: its adapters are loaded and answered.
    assert {f"adapters.{kind}.adapter" for kind in KINDS} <= modules
    assert statuses == dict.fromkeys(KINDS, 200)
    assert _under(modules, SIMULATOR_MODULES) == []


@pytest.mark.parametrize("kind", [pytest.param(kind, id=kind) for kind in KINDS])
def test_a_simulated_backend_loads_its_own_kinds_simulator_only(kind: str) -> None:
    backends = {
        **BACKENDS_OF_EVERY_KIND,
        kind: {**BACKENDS_OF_EVERY_KIND[kind], "url": "simulator"},
    }

    statuses, modules = _gateway_in_a_fresh_process(backends)

    assert statuses[kind] == 200  # served by its simulator, with the configured credentials
    assert f"adapters.{kind}.simulator.server" in modules
    others = tuple(f"adapters.{other}.simulator" for other in KINDS if other != kind)
    assert _under(modules, others) == []


def test_a_kinds_simulator_is_found_by_its_name() -> None:
    # Named, not imported, here: the fresh interpreters above import this module.
    found = plugins.simulator_class("avalon")
    assert (found.__module__, found.__qualname__) == (
        "adapters.avalon.simulator.server",
        "AvalonSimulator",
    )
    assert found.kind == "avalon"
    assert set(KINDS) <= set(plugins.simulated_kinds())


def test_a_kind_without_a_simulator_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        plugins.simulator_class("no-such-kind")
