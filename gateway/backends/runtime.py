"""The configured backends at run time: adapters, upstream clients, simulators, probes.

:class:`BackendSet` builds one adapter and one :class:`~gateway.upstream.client.UpstreamClient`
(with the backend's :class:`~gateway.upstream.breaker.Breaker`) per ``[backends.<name>]``
table when the app is made, and, in the app's cleanup context, starts the in-process
simulators, opens the clients, probes every backend for readiness (now and every
``server.probe_interval_s``), and closes it all again. Probes go through the client like
any call: their failures count toward the breaker, and a probe that is the trial of a
half-open breaker closes it when it passes. A probe the open breaker refuses leaves the
last result as it was: nothing was probed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from aiohttp import web

from gateway import plugins
from gateway.backends.credentials import CurrentCaller, IdentityAuth
from gateway.config.loading import GatewayConfig
from gateway.state.base import StateStore
from gateway.upstream.breaker import Breaker
from gateway.upstream.client import UpstreamClient
from gateway.upstream.slots import CallSlots
from gateway.web.errors import (
    BackendBusy,
    BackendOpen,
    GatewayError,
    InternalError,
    UpstreamError,
)
from gateway.web.metrics import Metrics

if TYPE_CHECKING:
    from gateway.spi.adapter import Adapter
    from gateway.spi.simulator import Simulator

log = logging.getLogger(__name__)

CLOSE_S: Final = 10.0
"""The most closing every backend (upstream logouts included) takes at shutdown, in all."""


@dataclass(slots=True)
class ProbeResult:
    """The outcome of a backend's last readiness probe."""

    ok: bool
    at: float
    status: int | None = None
    detail: str = ""
    code: str = ""
    """The problem code of a failed probe (``upstream-unavailable``, ...)."""
    failures: int = 0
    """Probes failed in a row, this one included."""
    latency_s: float = 0.0
    """How long the probe took."""
    upstream_status: int | None = None
    """The upstream's own status, when a failed probe got an answer."""


@dataclass(slots=True)
class Backend:
    """One configured backend at run time."""

    adapter: Adapter
    client: UpstreamClient
    simulator: Simulator | None = None
    probe: ProbeResult | None = None

    @property
    def name(self) -> str:
        """The backend's config name."""
        return self.adapter.name

    @property
    def breaker(self) -> Breaker:
        """The backend's circuit breaker; ``breaker.state`` is closed, open or half-open."""
        return self.client.breaker

    @property
    def ready(self) -> bool:
        """Whether requests may be sent its way: its last probe passed, its circuit is not open."""
        return bool(self.probe and self.probe.ok) and self.breaker.state != "open"


@dataclass(slots=True)
class BackendSet:
    """All backends of a gateway, in config order."""

    config: GatewayConfig
    backends: dict[str, Backend] = field(default_factory=dict)
    probed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once every backend has had its first probe."""
    _probing: asyncio.Task[None] | None = None

    @classmethod
    def build(
        cls,
        config: GatewayConfig,
        store: StateStore,
        current: CurrentCaller,
        metrics: Metrics | None = None,
    ) -> BackendSet:
        """Adapters and (unopened) clients for every configured backend.

        Upstream logins are kept in ``store``, per identity and backend; ``current``
        tells which identity the running request acts as; each client records its calls
        and logins in ``metrics``.
        """
        out = cls(config)
        for name, backend_config in config.backends.items():
            adapter_cls = plugins.adapter_class(backend_config.kind)
            service = (
                adapter_cls.upstream_auth(backend_config)
                if backend_config.service_credentials
                else None
            )
            users = {
                user: functools.partial(adapter_cls.user_auth, backend_config, user)
                for user in backend_config.users
            }
            client = UpstreamClient(
                name,
                timeout_s=backend_config.timeout_s,
                retries=backend_config.retries,
                transfer_timeout_s=backend_config.transfer_timeout_s,
                auth=IdentityAuth(name, store, service, users, current=current),
                secrets=adapter_cls.secrets(backend_config),
                error_reader=adapter_cls.read_upstream_error,
                slots=CallSlots(
                    name, backend_config.max_concurrent, config.server.upstream_queue_s, store
                ),
                breaker=Breaker(
                    name,
                    failures=backend_config.breaker_failures,
                    open_s=backend_config.breaker_open_s,
                ),
                metrics=metrics.upstream(name) if metrics is not None else None,
            )
            adapter = adapter_cls(backend_config, client)
            out.backends[name] = Backend(adapter, client)
        return out

    def __iter__(self) -> Iterator[Backend]:
        return iter(self.backends.values())

    def __len__(self) -> int:
        return len(self.backends)

    def get(self, name: str) -> Backend | None:
        """The backend called ``name``, if configured."""
        return self.backends.get(name)

    def auth(self, backend: Backend) -> IdentityAuth:
        """The backend's per-identity upstream credentials."""
        auth = backend.client.auth
        assert isinstance(auth, IdentityAuth)
        return auth

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        """Cleanup context: start simulators, open clients, probe; undo it all on exit."""
        try:
            await self.open()
            # Probing runs beside serving: a slow upstream must not delay start-up.
            self._probing = asyncio.create_task(self._probe_loop())
            yield
        finally:
            if self._probing is not None:
                self._probing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._probing
            await self.close()

    async def open(self) -> None:
        """Start the in-process simulators and open every client."""
        for backend in self:
            url = backend.adapter.backend.url
            if backend.adapter.backend.simulated:
                # Only here is a simulator module imported: real upstreams never load one.
                simulator_cls = plugins.simulator_class(backend.adapter.backend.kind)
                backend.simulator = simulator_cls.for_backend(backend.adapter.backend)
                url = await backend.simulator.start()
                log.info("backend %s: %s simulator on %s", backend.name, backend.adapter.kind, url)
            await backend.client.open(url)

    async def close(self, within_s: float = CLOSE_S) -> None:
        """Close the adapters and clients (ending upstream sessions) and the simulators.

        All backends at once, and within ``within_s`` in all: one slow upstream logout
        must not hold the others' nor push the process past its grace period. What is
        still closing then is cut (its upstream session left to expire).
        """
        closing = {asyncio.create_task(self._close(b)): b.name for b in self}
        if not closing:
            return
        done, cut = await asyncio.wait(closing, timeout=within_s)
        for task in cut:
            log.warning(
                "backend %s: still closing after %g s; its upstream session is left to expire",
                closing[task],
                within_s,
            )
            task.cancel()
        await asyncio.gather(*cut, return_exceptions=True)
        for task in done:
            if (exc := task.exception()) is not None:
                log.error("backend %s: closing failed", closing[task], exc_info=exc)

    @staticmethod
    async def _close(backend: Backend) -> None:
        try:
            await backend.adapter.close()
            await backend.client.close()
        finally:
            # Cut or failed on the way: the pool's sockets and the simulator go all the same.
            await backend.client.close(logout=False)
            if backend.simulator is not None:
                await backend.simulator.close()

    async def probe_all(self) -> None:
        """Probe every backend concurrently and record the outcomes."""
        await asyncio.gather(*(self._probe(b) for b in self))

    async def _probe(self, backend: Backend) -> None:
        started = time.monotonic()
        failed = (backend.probe.failures if backend.probe else 0) + 1

        def result(ok: bool, error: GatewayError | None = None) -> None:
            backend.probe = ProbeResult(
                ok,
                time.time(),
                error.http_status if error else None,
                error.detail if error else "",
                error.problem_code if error else "",
                0 if ok else failed,
                time.monotonic() - started,
                error.upstream_status if isinstance(error, UpstreamError) else None,
            )

        try:
            if backend.adapter.backend.service_credentials:
                await backend.adapter.probe()
            else:  # nobody's credentials to probe with: is it there at all?
                await backend.adapter.reachable()
        except BackendOpen:
            # Refused by the open breaker, nothing was probed: the last result stands, and
            # :attr:`Backend.ready` counts the open breaker already. Recorded as a failure,
            # it would keep the backend unready after a client's trial closed the breaker.
            return
        except BackendBusy:
            # Every call slot is taken by calls being served: busy is not down.
            result(True)
        except GatewayError as exc:
            result(False, exc)
        except Exception:  # a probe bug must not stop the loop
            log.exception("backend %s: probe failed unexpectedly", backend.name)
            result(False, InternalError("the probe failed unexpectedly"))
        else:
            result(True)

    async def _probe_loop(self) -> None:
        while True:
            await self.probe_all()
            self.probed.set()
            await asyncio.sleep(self.config.server.probe_interval_s)


BACKENDS: Final = web.AppKey("backends", BackendSet)
