"""The configured backends at run time: adapters, upstream clients, simulators, probes.

:class:`BackendSet` builds one adapter and one :class:`~gateway.upstream.client.UpstreamClient`
per ``[backends.<name>]`` table when the app is made, and, in the app's cleanup
context, starts the in-process simulators, opens the clients, probes every backend
for readiness (now and every ``server.probe_interval_s``), and closes it all again.
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
from gateway.upstream.client import UpstreamClient
from gateway.upstream.slots import CallSlots
from gateway.web.errors import BackendBusy, GatewayError

if TYPE_CHECKING:
    from gateway.spi.adapter import Adapter
    from gateway.spi.simulator import Simulator

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ProbeResult:
    """The outcome of a backend's last readiness probe."""

    ok: bool
    at: float
    status: int | None = None
    detail: str = ""


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


@dataclass(slots=True)
class BackendSet:
    """All backends of a gateway, in config order."""

    config: GatewayConfig
    backends: dict[str, Backend] = field(default_factory=dict)
    probed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once every backend has had its first probe."""
    _probing: asyncio.Task[None] | None = None

    @classmethod
    def build(cls, config: GatewayConfig, store: StateStore, current: CurrentCaller) -> BackendSet:
        """Adapters and (unopened) clients for every configured backend.

        Upstream logins are kept in ``store``, per identity and backend; ``current``
        tells which identity the running request acts as.
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
            for backend in self:
                url = backend.adapter.backend.url
                if backend.adapter.backend.simulated:
                    # Only here is a simulator module imported: real upstreams never load one.
                    simulator_cls = plugins.simulator_class(backend.adapter.backend.kind)
                    backend.simulator = simulator_cls.for_backend(backend.adapter.backend)
                    url = await backend.simulator.start()
                    log.info(
                        "backend %s: %s simulator on %s", backend.name, backend.adapter.kind, url
                    )
                await backend.client.open(url)
            # Probing runs beside serving: a slow upstream must not delay start-up.
            self._probing = asyncio.create_task(self._probe_loop())
            yield
        finally:
            if self._probing is not None:
                self._probing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._probing
            for backend in self:
                await backend.adapter.close()
                await backend.client.close()
                if backend.simulator is not None:
                    await backend.simulator.close()

    async def probe_all(self) -> None:
        """Probe every backend concurrently and record the outcomes."""
        await asyncio.gather(*(self._probe(b) for b in self))

    async def _probe(self, backend: Backend) -> None:
        try:
            if backend.adapter.backend.service_credentials:
                await backend.adapter.probe()
            else:  # nobody's credentials to probe with: is it there at all?
                await backend.adapter.reachable()
        except BackendBusy:
            # Every call slot is taken by calls being served: busy is not down.
            backend.probe = ProbeResult(True, time.time())
        except GatewayError as exc:
            backend.probe = ProbeResult(False, time.time(), exc.http_status, exc.detail)
        except Exception:  # a probe bug must not stop the loop
            log.exception("backend %s: probe failed unexpectedly", backend.name)
            backend.probe = ProbeResult(False, time.time(), 500, "the probe failed unexpectedly")
        else:
            backend.probe = ProbeResult(True, time.time())

    async def _probe_loop(self) -> None:
        while True:
            await self.probe_all()
            self.probed.set()
            await asyncio.sleep(self.config.server.probe_interval_s)


BACKENDS: Final = web.AppKey("backends", BackendSet)
