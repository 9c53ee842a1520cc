"""In-memory state of the MediaCentral simulator: accounts, sessions, systems, counters.

One :class:`Platform` per simulator instance holds everything its handlers share. A
platform offers one or more systems (:class:`SimSystem`), each with a
:class:`Catalogue` of its own. Folder ids are their paths (``/``, ``/News/``,
``/News/Evening Bulletin/``), as Production Management names its folders; asset ids
look like Interplay MOB ids. An asset is filed in a folder through a ``folder-item``
(:class:`FolderItem`), an entry of the folder with an id of its own, as the location
service lists them. Time is the platform's own clock plus an offset that
:meth:`Platform.advance` moves, so a test can let tokens expire without waiting.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from aiohttp import web

Json = dict[str, Any]
LoginKind = Literal["mcux", "oauth"]
RegistryVersion = Literal["current", "legacy", "web-fallback"]
"""``current``: CloudUX 2023.11 and newer (``/ctms-registry/v1`` beside the version-0
entry points); ``legacy``: 2023.7 and older (the version-0 entry points only);
``web-fallback``: an older platform whose web server answers ``/ctms-registry/v1`` with
its HTML page (200), as a single-page application's fallback route does."""
UpdateAnswer = Literal["empty", "body"]
"""What ``aa:update-asset-by-id`` answers: 204 without a body, or 200 with the asset."""
SingleItem = Literal["object", "array"]
"""How a page with one embedded item carries it: as an object, or an array of one."""


DEFAULT_SYSTEM_ID: Final = "2B7E1F0A-5C3D-4E8F-9A6B-1D2C3E4F5A6B"


@dataclass(frozen=True, slots=True)
class SimSystem:
    """One CTMS system: how the registry names it, and the service its paths carry."""

    system_type: str = "interplay-pam"
    system_id: str = DEFAULT_SYSTEM_ID
    name: str = "Newsroom"
    """The system's name in the registry, and its root folder's."""
    type_name: str = "Production Management"
    service: str = "avid.pam"
    """The service type of its paths: ``/apis/<service>;version=<n>;realm=<system_id>``."""
    version: str = "2024.2"


@dataclass(frozen=True, slots=True)
class ImageAnswer:
    """How the thumbnail image URL answers: its status, type, or a redirect."""

    status: int = 200
    content_type: str = "image/png"
    redirect: str | None = None
    """An origin the image URL redirects to (302, the same path), if any."""
    second_origin: bool = False
    """Whether images live on a second origin (the Production Management workgroup
    host, thumb.html) instead of the platform's; that host takes no credentials."""


@dataclass(slots=True)
class Counters:
    """What the platform has seen, for whoever drives it to check."""

    login_attempts: int = 0
    """Login requests received (mcux and OAuth2), before any check."""
    logins: int = 0
    """Logins that opened a session."""
    login_failures: int = 0
    """Logins refused: bad credentials, bad client, missing client authentication."""
    extensions: int = 0
    """Sessions extended through ``/auth/tokens/current/extension``."""
    logouts: int = 0
    """Sessions ended through ``DELETE /auth/tokens/current``."""
    unauthenticated: int = 0
    """Calls answered 401 ``avid.upstream/UNAUTHENTICATED``."""
    registry_reads: int = 0
    """Service-roots documents served."""
    logins_by: Counter[str] = field(default_factory=Counter)
    """Logins that opened a session, by principal (user name, or client id)."""
    logouts_by: Counter[str] = field(default_factory=Counter)
    """Sessions ended, by principal."""
    calls_by: Counter[str] = field(default_factory=Counter)
    """Calls made with a live session (logins aside), by the session's principal."""
    paths: Counter[str] = field(default_factory=Counter)
    """Requests received, by path (decoded)."""
    image_reads: int = 0
    """Images served from the second origin."""
    image_credentials: int = 0
    """Requests to the second origin that came with credentials (a header or cookie)."""


@dataclass(slots=True)
class Session:
    """One login: its tokens, who opened it and how, and when it ends."""

    access_token: str
    id_token: str
    kind: LoginKind
    principal: str
    """The user name, or the client id for the client-credentials grant."""
    expires_at: float


@dataclass(slots=True)
class Folder:
    """A folder of the location tree; ``children`` are ids of subfolders and folder items."""

    id: str
    name: str
    parent: str | None
    created: str
    modified: str
    children: list[str] = field(default_factory=list)
    number: int = 0
    """The folder's place in its system; the ids of its folder items start with it."""


@dataclass(slots=True)
class Asset:
    """A sequence or a master clip, filed in one folder."""

    id: str
    type: str
    name: str
    duration: str
    folder: str
    created: str
    modified: str


@dataclass(frozen=True, slots=True)
class FolderItem:
    """An asset's entry in a folder: an id of its own, the folder, the asset."""

    id: str
    folder: str
    asset: str


def mob_id(number: int, system_index: int = 0) -> str:
    """An id in the shape of an Interplay MOB id (SMPTE UMID material number)."""
    return f"060a2b340101010101010f0013-000000-{system_index:08x}{number:08x}"


@dataclass(slots=True)
class Catalogue:
    """The folders, assets and folder items of one system."""

    system: SimSystem
    index: int
    """The system's place on the platform; it keeps asset ids apart across systems."""
    folders: dict[str, Folder] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    items: dict[str, FolderItem] = field(default_factory=dict)
    root_id: str = "/"

    def add_folder(self, name: str, parent: str | None, created: str) -> Folder:
        """A new folder under ``parent`` (None: the root), its id its path."""
        folder_id = "/" if parent is None else f"{parent}{name}/"
        folder = Folder(folder_id, name, parent, created, created, number=100 + len(self.folders))
        self.folders[folder_id] = folder
        if parent is not None:
            self.folders[parent].children.append(folder_id)
        return folder

    def add_asset(
        self, folder_id: str, kind: str, name: str, duration: str, created: str, modified: str
    ) -> Asset:
        """A new asset filed in ``folder_id`` through a new folder item."""
        asset = Asset(
            mob_id(len(self.assets) + 1, self.index),
            kind,
            name,
            duration,
            folder_id,
            created,
            modified,
        )
        self.assets[asset.id] = asset
        folder = self.folders[folder_id]
        item = FolderItem(f"{folder.number}.{100 + len(folder.children)}", folder_id, asset.id)
        self.items[item.id] = item
        folder.children.append(item.id)
        return asset

    def items_of(self, asset_id: str) -> list[FolderItem]:
        """The folder items that file ``asset_id``."""
        return [item for item in self.items.values() if item.asset == asset_id]

    def path_of(self, folder_id: str) -> list[Folder]:
        """The folders from the root down to ``folder_id``."""
        out: list[Folder] = []
        current: str | None = folder_id
        while current is not None:
            folder = self.folders[current]
            out.append(folder)
            current = folder.parent
        return out[::-1]


@dataclass(slots=True)
class Platform:
    """Everything one simulated platform knows."""

    users: dict[str, str]
    clients: dict[str, str]
    token_life_s: float
    clock: Callable[[], float]
    registry: RegistryVersion
    hold_logins: asyncio.Event | None
    unadvertised: frozenset[str]
    mcux_redirect: bool
    refuse_registry: bool
    counters: Counters
    catalogues: list[Catalogue]
    """One per system, the first the default system's."""
    update_answer: UpdateAnswer = "empty"
    single_item: SingleItem = "object"
    sessions: dict[str, Session] = field(default_factory=dict)
    """Sessions by access token and by id token (both are accepted as bearer tokens)."""
    withdrawn: set[str] = field(default_factory=set)
    """Assets the asset service answers 404 for while folders and the search still list
    them, as right after a deletion the index has not caught up with."""
    folder_refusals: dict[str, int] = field(default_factory=dict)
    """Folders whose reads answer this status (403 or 404) though their parent lists them."""
    service_version: int = 1
    token_links: str = "absolute"
    """How the token document links its extension and removal: ``absolute`` on the
    platform, ``relative`` to the document, or absolute on the origin given."""
    names_systems: bool = True
    """Whether the registry's entries name their systems (``systems``)."""
    v1_status: int | None = None
    """A status ``/ctms-registry/v1`` answers with a problem instead of the registry."""
    image: ImageAnswer = field(default_factory=lambda: ImageAnswer())
    image_origin: str | None = None
    """The second origin thumbnail images live on (the workgroup host), once it is up."""
    links_away: dict[str, int] = field(default_factory=dict)
    """Folders (or assets) whose ``next`` pages (or folder items) link into the services
    of the system of this index, on the same host."""
    offset_s: float = 0.0
    watchers: list[tuple[Callable[[Counters], bool], asyncio.Event]] = field(default_factory=list)
    """Conditions on the counters, each with the event to set once it holds."""

    def check_watchers(self) -> None:
        """Set the event of every condition that now holds."""
        for condition, event in self.watchers:
            if condition(self.counters):
                event.set()

    def now(self) -> float:
        """The platform's time in seconds."""
        return self.clock() + self.offset_s

    def open_session(self, kind: LoginKind, principal: str) -> Session:
        """A fresh session for ``principal``, living ``token_life_s``."""
        session = Session(
            access_token=secrets.token_urlsafe(24),
            id_token=secrets.token_urlsafe(24),
            kind=kind,
            principal=principal,
            expires_at=self.now() + self.token_life_s,
        )
        self.sessions[session.access_token] = session
        self.sessions[session.id_token] = session
        self.counters.logins += 1
        self.counters.logins_by[principal] += 1
        return session

    def session(self, token: str) -> Session | None:
        """The live session of ``token``; expired sessions are forgotten."""
        session = self.sessions.get(token)
        if session is None:
            return None
        if session.expires_at <= self.now():
            self.end_session(session)
            return None
        return session

    def end_session(self, session: Session) -> None:
        """Forget ``session`` and both its tokens."""
        self.sessions.pop(session.access_token, None)
        self.sessions.pop(session.id_token, None)

    def live_sessions(self) -> list[Session]:
        """Sessions that have not expired, each once."""
        now = self.now()
        unique = {id(s): s for s in self.sessions.values() if s.expires_at > now}
        return list(unique.values())

    @property
    def folders(self) -> dict[str, Folder]:
        """The first system's folders."""
        return self.catalogues[0].folders

    @property
    def assets(self) -> dict[str, Asset]:
        """The first system's assets."""
        return self.catalogues[0].assets

    def segment(self, catalogue: Catalogue) -> str:
        """The path segment of a system's services: ``avid.pam;version=1;realm=<systemID>``."""
        system = catalogue.system
        return f"{system.service};version={self.service_version};realm={system.system_id}"

    def catalogue_at(self, segment: str) -> Catalogue | None:
        """The system whose services the path segment names now, if any."""
        for catalogue in self.catalogues:
            if self.segment(catalogue) == segment:
                return catalogue
        return None


def accounts(values: Mapping[str, str] | None, default: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``values``, or of ``default`` when none are given."""
    return dict(default if values is None else values)


PLATFORM: Final = web.AppKey("mediacentral_platform", Platform)
SESSION: Final = web.RequestKey("mediacentral_session", Session)
