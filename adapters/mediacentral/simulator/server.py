"""A simulator of an Avid MediaCentral Cloud UX platform, served by aiohttp.

It implements what the gateway relies on, as the vendor documents it:

- ``/auth``: identity providers of kind ``mcux`` (JSON login, session cookie) and
  ``oauth`` (password and client-credentials grants with HTTP Basic client
  authentication), tokens of a configurable life, and ``/auth/tokens/current`` to
  describe, extend (``/extension``) and end (DELETE) a session. Every other call
  without a live session answers 401 ``avid.upstream/UNAUTHENTICATED``.
- The CTMS registry at ``/apis/avid.ctms.registry;version=0;realm=global`` and
  ``/ctms-registry/v1``, advertising the location, asset and search services.
- Those services as HAL: the folder tree (``loc:``), assets (``aa:``, with attribute
  updates by PATCH) and simple search (``search:``), with
  ``application/vnd.avid.problem+json`` problems for bad parameters.

Each instance seeds its own newsroom tree (:mod:`adapters.mediacentral.simulator.seed`) and
counts logins, logouts and rejected calls in :attr:`MediaCentralSimulator.counters`,
logins, logouts and calls also by the user (or client) whose session they came with.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Final

from aiohttp import web

from adapters.mediacentral.simulator import assets, auth, locations, registry
from adapters.mediacentral.simulator.plumbing import PROBLEM, problems, session_middleware, watch
from adapters.mediacentral.simulator.seed import seed
from adapters.mediacentral.simulator.state import PLATFORM, Counters, Platform, accounts
from gateway.spi import BackendConfig, Simulator, plain

__all__ = ["DEFAULT_CLIENTS", "DEFAULT_USERS", "MediaCentralSimulator"]

DEFAULT_USERS: Final = {"newsroom": "mediacentral-demo-password"}
DEFAULT_CLIENTS: Final = {"hal-gateway": "mediacentral-demo-secret"}
DEFAULT_TOKEN_LIFE_S: Final = 900.0
"""Tokens of the real platform live about 15 minutes."""


def _pairs(values: list[str] | None, what: str) -> dict[str, str] | None:
    if not values:
        return None
    out: dict[str, str] = {}
    for value in values:
        name, sep, secret = value.partition("=")
        if not sep or not name:
            raise SystemExit(f"--{what} takes NAME=SECRET, got {value!r}")
        out[name] = secret
    return out


class MediaCentralSimulator(Simulator):
    """A MediaCentral platform with in-memory state seeded with a newsroom tree.

    ``users`` maps user names to passwords (mcux login and the OAuth2 password grant),
    ``clients`` OAuth2 client ids to secrets; both default to the demonstration
    accounts. Tokens live ``token_life_s`` seconds of the platform's ``clock``
    (``time.monotonic`` unless given); :meth:`advance` moves that clock on. With
    ``legacy_registry=False`` only ``/ctms-registry/v1`` serves the registry, as on
    newer platforms. ``hold_logins`` keeps every login request waiting until the event
    is set. With ``refuse_registry`` the registry answers 401 to every session, as a
    platform that does not let the gateway's login read it. ``unadvertised`` relations
    are left out of the registry, as on a platform without that service. With
    ``mcux_redirect`` the mcux login answers ``303 See Other`` with its cookie, as some
    platform versions do. :meth:`when` gives an event for a state of the counters.
    :meth:`withdraw` and :meth:`refuse_folder` put the asset service or a folder out of
    step with what the tree and the search list, as deletions and per-user rights do.
    Fault options (``latency_s``, ``fail_status``, ``drop_connections``) go
    to :class:`~gateway.spi.simulator.Simulator`.
    """

    kind: ClassVar[str] = "mediacentral"

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        clients: Mapping[str, str] | None = None,
        token_life_s: float = DEFAULT_TOKEN_LIFE_S,
        clock: Callable[[], float] | None = None,
        legacy_registry: bool = True,
        hold_logins: asyncio.Event | None = None,
        unadvertised: Iterable[str] = (),
        mcux_redirect: bool = False,
        refuse_registry: bool = False,
        **faults: Any,
    ) -> None:
        super().__init__(**faults)
        self.counters = Counters()
        folders, seeded_assets, root_id = seed()
        self.platform = Platform(
            users=accounts(users, DEFAULT_USERS),
            clients=accounts(clients, DEFAULT_CLIENTS),
            token_life_s=token_life_s,
            clock=clock or time.monotonic,
            legacy_registry=legacy_registry,
            hold_logins=hold_logins,
            unadvertised=frozenset(unadvertised),
            mcux_redirect=mcux_redirect,
            refuse_registry=refuse_registry,
            counters=self.counters,
            folders=folders,
            assets=seeded_assets,
            root_id=root_id,
        )

    def advance(self, seconds: float) -> None:
        """Move the platform's clock on: tokens age as if ``seconds`` had passed."""
        self.platform.offset_s += seconds

    def when(self, condition: Callable[[Counters], bool]) -> asyncio.Event:
        """An event set once an answer leaves the counters so that ``condition`` holds."""
        event = asyncio.Event()
        self.platform.watchers.append((condition, event))
        return event

    def withdraw(self, asset_id: str) -> None:
        """Let ``aa:asset-by-id`` answer 404 for an asset its folder and the search still
        list, as right after a deletion the index and the folder have not caught up with."""
        self.platform.withdrawn.add(asset_id)

    def refuse_folder(self, folder_id: str, status: int = 403) -> None:
        """Let reads of a folder its parent still lists answer ``status``: 403 (not this
        login's to see) or 404 (deleted since the parent was read)."""
        if status not in (403, 404):
            raise ValueError(f"a folder is refused with 403 or 404, not {status}")
        self.platform.folder_refusals[folder_id] = status

    def relocate_services(self) -> None:
        """Serve every service under a new path; hrefs handed out before stop working."""
        self.platform.service_version += 1

    def failure_response(self, status: int) -> web.StreamResponse:
        """Simulated failures in the platform's problem shape."""
        body = {
            "code": "avid.upstream/FAILURE",
            "message": f"Simulated failure {status}",
            "params": {},
            "status": status,
        }
        return web.json_response(body, status=status, content_type=PROBLEM)

    def build_app(self) -> web.Application:
        """The platform's routes over this instance's state."""
        app = web.Application(
            middlewares=[watch, problems, session_middleware(auth.PUBLIC_PATHS)],
        )
        app[PLATFORM] = self.platform
        auth.add_routes(app.router)
        registry.add_routes(app.router, legacy=self.platform.legacy_registry)
        locations.add_routes(app.router)
        assets.add_routes(app.router)
        return app

    @classmethod
    def for_backend(cls, backend: BackendConfig) -> MediaCentralSimulator:
        """A simulator that accepts the service's user and client, and every mapped user's."""
        users: dict[str, str] = {}
        clients: dict[str, str] = {}
        # Each table's own keys: a user's table that lacks a password has no login here.
        for options in (backend.options, *backend.users.values()):
            user, password = plain(options.get("username")), plain(options.get("password"))
            client_id, secret = plain(options.get("client_id")), plain(options.get("client_secret"))
            if user and password:
                users[user] = password
            if client_id and secret:
                clients[client_id] = secret
        return cls(users=users or None, clients=clients or None)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """``--user``, ``--client`` (repeatable) and ``--token-life``, beside the common ones."""
        super().add_arguments(parser)
        parser.add_argument(
            "--user",
            action="append",
            metavar="NAME=PASSWORD",
            help="accept this user (repeatable; replaces the demonstration user)",
        )
        parser.add_argument(
            "--client",
            action="append",
            metavar="ID=SECRET",
            help="accept this OAuth2 client (repeatable; replaces the demonstration client)",
        )
        parser.add_argument(
            "--token-life",
            type=float,
            default=DEFAULT_TOKEN_LIFE_S,
            metavar="SECONDS",
            help="life of a session or token",
        )

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> MediaCentralSimulator:
        """A simulator configured from :meth:`add_arguments`' options."""
        return cls(
            users=_pairs(args.user, "user"),
            clients=_pairs(args.client, "client"),
            token_life_s=args.token_life,
            latency_s=args.latency,
        )
