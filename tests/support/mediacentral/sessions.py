"""Helpers of the MediaCentral session tests: the locations root and a hand-moved renewal clock."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from adapters.mediacentral.adapter import MediaCentralAdapter
from adapters.mediacentral.auth import PlatformLogin
from gateway.backends.runtime import BACKENDS
from tests.support.clocks import FakeClock
from tests.support.mediacentral.fixtures import BACKEND
from tests.support.mediacentral.navigator import Doc, Navigator


async def locations(nav: Navigator) -> tuple[str, Doc]:
    """The href and document of the backend's ``mc:locations``."""
    href = nav.href(await nav.backend(BACKEND), "mc:locations")
    return href, await nav.get(href)


def with_clock(clock: FakeClock) -> Callable[[web.Application], None]:
    """Sets the backend's renewal clock before the gateway starts, so before any login."""

    def install(app: web.Application) -> None:
        backend = app[BACKENDS].get(BACKEND)
        assert backend is not None
        login = app[BACKENDS].auth(backend).strategy(None)
        assert isinstance(login, PlatformLogin)
        assert isinstance(backend.adapter, MediaCentralAdapter)
        login.clock = clock
        backend.adapter.discovery.clock = clock

    return install
