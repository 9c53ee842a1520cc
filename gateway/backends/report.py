"""``hal-gateway probe``: every backend probed once, outside any server, as a table.

The backends are built as the app builds them (simulators started for ``url =
"simulator"``, the service credentials, the readiness probe each kind chooses), probed
once concurrently, then closed again (upstream sessions ended). Each row says whether
the upstream answered at all, whether the gateway's login there worked, how long the
probe took and the state its circuit breaker was left in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gateway.backends.credentials import Caller
from gateway.backends.runtime import Backend, BackendSet
from gateway.config.loading import GatewayConfig
from gateway.state.memory_store import MemoryStore

UNREACHABLE: Final = frozenset({"upstream-unavailable", "upstream-timeout", "backend-unavailable"})
"""Problem codes of a probe that got no answer from the upstream."""
LOGIN_FAILED: Final = "upstream-login-failed"
HEADINGS: Final = ("backend", "kind", "reachable", "login", "latency", "breaker")


@dataclass(frozen=True, slots=True)
class ProbeRow:
    """How one backend answered its probe."""

    backend: str
    kind: str
    ready: bool
    reachable: bool
    login: str
    """``ok``, ``failed: refused (<upstream status>)``, ``n/a`` (per-user credentials
    only), ``not tried`` (no answer) or ``unknown`` (the probe failed after it, for another
    reason)."""
    latency_ms: float
    breaker: str
    detail: str = ""
    """Why the backend is not ready; empty when it is."""


def _nobody() -> Caller | None:
    return None  # probes use the service credentials, as the app's do


async def probe_once(config: GatewayConfig) -> list[ProbeRow]:
    """Build every backend of ``config``, probe each once, close them; a row each."""
    backends = BackendSet.build(config, MemoryStore(), _nobody)
    try:
        await backends.open()
        await backends.probe_all()
    finally:
        await backends.close()
    return [_row(b) for b in backends]


def _row(backend: Backend) -> ProbeRow:
    probe = backend.probe
    assert probe is not None  # probe_all probed every backend
    service = backend.adapter.backend.service_credentials
    reachable = probe.ok or probe.code not in UNREACHABLE
    if not service:
        login = "n/a"
    elif probe.ok:
        login = "ok"
    elif probe.code == LOGIN_FAILED:
        # The whole reason follows the table; in the row, what the upstream answered.
        answered = probe.upstream_status
        login = f"failed: refused ({answered})" if answered else "failed: refused"
    else:
        login = "unknown" if reachable else "not tried"
    return ProbeRow(
        backend=backend.name,
        kind=backend.adapter.kind,
        ready=backend.ready,
        reachable=reachable,
        login=login,
        latency_ms=probe.latency_s * 1000,
        breaker=backend.breaker.state,
        detail="" if backend.ready else probe.detail or "its circuit breaker is open",
    )


def table(rows: list[ProbeRow]) -> str:
    """The rows as a text table, then one line per backend that is not ready, saying why."""
    cells = [
        (
            r.backend,
            r.kind,
            "yes" if r.reachable else "no",
            r.login,
            f"{r.latency_ms:.0f} ms",
            r.breaker,
        )
        for r in rows
    ]
    widths = [max(len(c[i]) for c in [HEADINGS, *cells]) for i in range(len(HEADINGS))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [HEADINGS, *cells]
    ]
    lines += [f"{r.backend}: not ready: {r.detail}" for r in rows if not r.ready]
    return "".join(line + "\n" for line in lines)
