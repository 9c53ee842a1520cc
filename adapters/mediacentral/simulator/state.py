"""In-memory state of the MediaCentral simulator: accounts, sessions, the tree, counters.

One :class:`Platform` per simulator instance holds everything its handlers share. Time
is the platform's own clock plus an offset that :meth:`Platform.advance` moves, so a
test can let tokens expire without waiting.
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

SYSTEM_ID: Final = "newsroom-pam"
SYSTEM_TYPE: Final = "interplay-pam"
REALM: Final = "newsroom"


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
    """A folder of the location tree; ``children`` are folder and asset ids, in order."""

    id: str
    name: str
    parent: str | None
    created: str
    modified: str
    children: list[str] = field(default_factory=list)


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


@dataclass(slots=True)
class Platform:
    """Everything one simulated platform knows."""

    users: dict[str, str]
    clients: dict[str, str]
    token_life_s: float
    clock: Callable[[], float]
    legacy_registry: bool
    hold_logins: asyncio.Event | None
    unadvertised: frozenset[str]
    mcux_redirect: bool
    refuse_registry: bool
    counters: Counters
    folders: dict[str, Folder]
    assets: dict[str, Asset]
    root_id: str
    sessions: dict[str, Session] = field(default_factory=dict)
    """Sessions by access token and by id token (both are accepted as bearer tokens)."""
    withdrawn: set[str] = field(default_factory=set)
    """Assets the asset service answers 404 for while folders and the search still list
    them, as right after a deletion the index has not caught up with."""
    folder_refusals: dict[str, int] = field(default_factory=dict)
    """Folders whose reads answer this status (403 or 404) though their parent lists them."""
    service_version: int = 1
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
    def pam_service(self) -> str:
        """The path segment of the asset and location service, e.g. ``avid.pam;version=1;...``."""
        return f"avid.pam;version={self.service_version};realm={REALM}"

    @property
    def search_service(self) -> str:
        """The path segment of the search service."""
        return f"avid.ctms.search;version={self.service_version};realm={REALM}"

    def folder_path(self, folder_id: str) -> list[Folder]:
        """The folders from the root down to ``folder_id``."""
        out: list[Folder] = []
        current: str | None = folder_id
        while current is not None:
            folder = self.folders[current]
            out.append(folder)
            current = folder.parent
        return out[::-1]


def accounts(values: Mapping[str, str] | None, default: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``values``, or of ``default`` when none are given."""
    return dict(default if values is None else values)


PLATFORM: Final = web.AppKey("mediacentral_platform", Platform)
SESSION: Final = web.RequestKey("mediacentral_session", Session)
