"""A simulator of an Avid MediaCentral Cloud UX platform, served by aiohttp.

It implements what the gateway relies on, as the vendor documents it:

- ``/auth``: identity providers of kind ``mcux`` (JSON login, session cookie) and
  ``oauth`` (password and client-credentials grants with HTTP Basic client
  authentication), tokens of a configurable life, and ``/auth/tokens/current`` to
  describe, extend (``/extension``) and end (DELETE) a session. Every other call
  without a live session answers 401 ``avid.upstream/UNAUTHENTICATED``.
- The CTMS registry at ``/ctms-registry/v1`` and the version-0 entry points, listing
  the location, asset and search services of each system the platform offers.
- Those services as HAL, under each system's own path: the folder tree (``loc:``,
  children in a paged ``loc:collection``, assets filed as ``folder-item`` entries),
  assets (``aa:``, updated by PATCH) and simple search (``search:``), with
  ``application/vnd.avid.problem+json`` problems for bad parameters.

Each instance seeds a newsroom tree per system (:mod:`adapters.mediacentral.simulator.seed`)
and counts logins, logouts and rejected calls in :attr:`MediaCentralSimulator.counters`,
logins, logouts and calls also by the user (or client) whose session they came with.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final

from aiohttp import web

from adapters.mediacentral.simulator import assets, auth, locations, registry, search
from adapters.mediacentral.simulator.plumbing import PROBLEM, problems, session_middleware, watch
from adapters.mediacentral.simulator.seed import CLIP_CREATED, seed
from adapters.mediacentral.simulator.state import (
    PLATFORM,
    Counters,
    ImageAnswer,
    Platform,
    RegistryVersion,
    SimSystem,
    SingleItem,
    UpdateAnswer,
    accounts,
)
from gateway.spi import BackendConfig, Simulator, plain

__all__ = ["DEFAULT_CLIENTS", "DEFAULT_USERS", "ImageAnswer", "MediaCentralSimulator", "SimSystem"]

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
    (``time.monotonic`` unless given); :meth:`advance` moves that clock on.

    By default it behaves as a current platform with one Production Management system.
    ``systems`` lists the systems it offers instead (each with its own tree and service
    path, the registry listing one entry per system for each relation). Older or
    alternative behaviour the sources show is an option: ``registry="legacy"`` serves
    only the version-0 registry (CloudUX 2023.7 and older), ``update_answer="body"``
    answers an asset update with 200 and the asset instead of 204, and
    ``single_item="array"`` embeds a single item as an array of one instead of an
    object. ``hold_logins`` keeps every login request waiting until the event
    is set. With ``refuse_registry`` the registry answers 401 to every session, as a
    platform that does not let the gateway's login read it. ``unadvertised`` relations
    are left out of the registry, as on a platform without that service. With
    ``mcux_redirect`` the mcux login answers ``303 See Other`` with its cookie, as some
    platform versions do. ``v1_status`` makes ``/ctms-registry/v1`` answer that status;
    ``token_links`` puts the token's extension and removal links ``relative`` to the
    token document or on another origin; with ``names_systems=False`` the registry's
    entries name no system. ``image`` says how thumbnail images answer
    (:class:`ImageAnswer`: a status, a type, a redirect, or a second origin of their
    own). :meth:`link_away` lets a page link into another system. :meth:`when` gives an
    event for a state of the counters.
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
        systems: Sequence[SimSystem] = (SimSystem(),),
        registry: RegistryVersion = "current",
        update_answer: UpdateAnswer = "empty",
        single_item: SingleItem = "object",
        hold_logins: asyncio.Event | None = None,
        unadvertised: Iterable[str] = (),
        mcux_redirect: bool = False,
        refuse_registry: bool = False,
        v1_status: int | None = None,
        token_links: str = "absolute",  # noqa: S107 - where links lead, no secret
        names_systems: bool = True,
        image: ImageAnswer | None = None,
        **faults: Any,
    ) -> None:
        super().__init__(**faults)
        self.counters = Counters()
        if not systems:
            raise ValueError("a platform offers at least one system")
        self.platform = Platform(
            users=accounts(users, DEFAULT_USERS),
            clients=accounts(clients, DEFAULT_CLIENTS),
            token_life_s=token_life_s,
            clock=clock or time.monotonic,
            registry=registry,
            hold_logins=hold_logins,
            unadvertised=frozenset(unadvertised),
            mcux_redirect=mcux_redirect,
            refuse_registry=refuse_registry,
            counters=self.counters,
            catalogues=[seed(system, index) for index, system in enumerate(systems)],
            update_answer=update_answer,
            single_item=single_item,
            v1_status=v1_status,
            token_links=token_links,
            names_systems=names_systems,
            image=image or ImageAnswer(),
        )
        self._images: web.AppRunner | None = None

    def advance(self, seconds: float) -> None:
        """Move the platform's clock on: tokens age as if ``seconds`` had passed."""
        self.platform.offset_s += seconds

    def when(self, condition: Callable[[Counters], bool]) -> asyncio.Event:
        """An event set once an answer leaves the counters so that ``condition`` holds."""
        event = asyncio.Event()
        self.platform.watchers.append((condition, event))
        return event

    def file_clips(self, folder_id: str, count: int, system: int = 0) -> list[str]:
        """File ``count`` new master clips in a folder of the ``system``-th system (a
        folder longer than a page, say); their ids, in the folder's order."""
        catalogue = self.platform.catalogues[system]
        start = len(catalogue.folders[folder_id].children)
        return [
            catalogue.add_asset(
                folder_id,
                "masterclip",
                f"Clip {start + n:04d}",
                "00:00:10:00",
                CLIP_CREATED,
                CLIP_CREATED,
            ).id
            for n in range(1, count + 1)
        ]

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

    def link_away(self, key: str, system: int = 1) -> None:
        """Let the pages after the first of folder ``key`` (``next``), or the folder items
        of asset ``key`` (``loc:referenced-object``, not embedded), link into the services
        of the ``system``-th system on the same host, as a page of another realm would."""
        self.platform.links_away[key] = system

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start the platform, and the image host when images live on a second origin."""
        url = await super().start(host, port)
        if self.platform.image.second_origin and self._images is None:
            runner = web.AppRunner(assets.image_app(self.platform), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, host, 0).start()
            self._images = runner
            self.platform.image_origin = f"http://{host}:{runner.addresses[0][1]}"
        return url

    async def close(self) -> None:
        """Stop the platform and its image host."""
        if self._images is not None:
            await self._images.cleanup()
            self._images = None
        await super().close()

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
        registry.add_routes(app.router, version=self.platform.registry)
        locations.add_routes(app.router)
        assets.add_routes(app.router)
        search.add_routes(app.router)
        return app

    @classmethod
    def for_backend(cls, backend: BackendConfig) -> MediaCentralSimulator:
        """A simulator that accepts the service's user and client, and every mapped
        user's, offering the system the backend chooses."""
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
        # The system the backend chooses is the one the simulator offers.
        default = SimSystem()
        system = SimSystem(
            system_type=plain(backend.options.get("system_type")) or default.system_type,
            system_id=plain(backend.options.get("system_id")) or default.system_id,
        )
        return cls(users=users or None, clients=clients or None, systems=(system,))

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
