"""Logging in to the platform: finding the login endpoint, the current token, its extension.

:class:`PlatformLogin` is the :class:`~gateway.upstream.logins.RenewingLogin` of a MediaCentral
backend, one per identity that logs in (the service's, or a gateway user's own). It
finds the login endpoint as the platform documents it (``GET /auth`` →
``auth:identity-providers`` → the provider of the wanted ``kind``; links may be arrays,
as the platform's are), reads the current token (``auth:token`` named ``current``),
extends the session through that token's ``auth-token:extend`` link, and ends it with
a ``DELETE`` of its ``auth-token:removal`` link, or of the current token where none is
linked (gateway logout, shutdown), as the sample clients do (``PlatformTools.*``).
These links are resolved against the document they came in and must lie on the
platform's own origin (the backend's ``url``): they are called with the session's
headers, so a link elsewhere is not followed (logged once): the session is then not
extended (it is renewed by a fresh login) and is ended at the current token.
Its life is the token's ``expires_in``, or the current token's ``expiresIn`` where the
platform says; a session of unknown life is renewed when the platform answers 401.
Keeping, sharing and renewing the session is :mod:`gateway.upstream.logins`' part.

The flows themselves live in :mod:`adapters.mediacentral.logins`.
"""

from __future__ import annotations

import abc
import logging
from typing import Any, ClassVar, Final
from urllib.parse import urljoin

from adapters.mediacentral.discovery import HAL_ACCEPT, link_href, split_origin
from gateway.spi import (
    LoginResult,
    RenewingLogin,
    UpstreamClient,
    UpstreamLoginFailed,
    UpstreamSession,
)

log = logging.getLogger(__name__)

AUTH_ENTRY: Final = "/auth"
CURRENT: Final = "token_href"
"""The session's extra naming the href whose ``DELETE`` ends it: the current token's
``auth-token:removal``, else the current token (``auth:token``) itself."""
EXTENSION: Final = "extension_href"
"""The session's extra naming the current token's ``auth-token:extend``."""


def lifetime(doc: Any, fallback: float | None = None) -> float | None:
    """A session's life in seconds from ``expiresIn`` or ``expires_in``, if it is usable."""
    value = doc.get("expiresIn", doc.get("expires_in")) if isinstance(doc, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return fallback


class PlatformLogin(RenewingLogin, abc.ABC):
    """The platform's side of an upstream session; subclasses add the login request."""

    provider_kind: ClassVar[str]
    """The ``kind`` of identity provider the flow logs in with."""
    login_rels: ClassVar[tuple[str, ...]]
    """Link relations of the provider's login endpoint, in order of preference."""
    _warned: ClassVar[set[str]] = set()
    """Token links on another host already logged (once per process and relation)."""

    @abc.abstractmethod
    async def authenticate(
        self, client: UpstreamClient, login_href: str
    ) -> tuple[dict[str, str], float | None]:
        """Log in at ``login_href``: the headers that carry the session, and its life if told."""

    async def login(self, client: UpstreamClient) -> LoginResult:
        """Find the provider, log in, and read the current token's life and links."""
        login_href, token_href = await self._login_links(client)
        headers, life = await self.authenticate(client, login_href)
        extras: dict[str, str] = {}
        if token_href is not None:
            extras[CURRENT] = token_href
            # The session's headers go with this call: only to the platform itself.
            response = await client.request(
                "GET",
                token_href,
                headers={**headers, "Accept": HAL_ACCEPT},
                authenticate=False,
                ok=(404, 405),
            )
            if response.status < 300:
                doc = response.json()
                life = lifetime(doc, life)
                if isinstance(doc, dict):
                    removal = self._own(client, response.url, doc, "auth-token:removal")
                    extras[CURRENT] = removal or token_href
                    extension = self._own(client, response.url, doc, "auth-token:extend")
                    if extension is not None:
                        extras[EXTENSION] = extension
        return LoginResult(headers, life, extras)

    def _own(self, client: UpstreamClient, url: str, doc: Any, rel: str) -> str | None:
        """``rel``'s href in the document from ``url``, resolved against it, if it is on
        the platform; one elsewhere is not followed (it would carry the session there)."""
        href = link_href(doc, rel) if isinstance(doc, dict) else None
        if href is None:
            return None
        target = urljoin(url, href)
        if split_origin(target)[0] != split_origin(client.base_url)[0]:
            if rel not in self._warned:
                self._warned.add(rel)
                log.warning(
                    "backend %s: the platform links %s on another host; not followed",
                    self.backend,
                    rel,
                )
            return None
        return target

    async def extend(self, client: UpstreamClient, session: UpstreamSession) -> float | None:
        """``POST`` the token's extension link: the token lives on, its life starts again."""
        href = session.extras.get(EXTENSION)
        if href is None:
            return None
        response = await client.request(
            "POST", href, headers={**session.headers, "Accept": HAL_ACCEPT}, authenticate=False
        )
        return lifetime(response.json())

    async def end(self, client: UpstreamClient, session: UpstreamSession) -> None:
        """``DELETE`` the token's removal link; one the platform forgot is ended too."""
        href = session.extras.get(CURRENT)
        if href is None:
            return
        await client.request(
            "DELETE", href, headers=dict(session.headers), authenticate=False, ok=(401, 404)
        )

    async def _json(self, client: UpstreamClient, href: str) -> dict[str, Any]:
        response = await client.request(
            "GET", href, headers={"Accept": HAL_ACCEPT}, authenticate=False
        )
        doc = response.json()
        return doc if isinstance(doc, dict) else {}

    async def _login_links(self, client: UpstreamClient) -> tuple[str, str | None]:
        root = await self._json(client, AUTH_ENTRY)
        token_href = link_href(root, "auth:token", name="current")
        if token_href is not None:
            named = {"_links": {"auth:token": {"href": token_href}}}
            token_href = self._own(client, client.url(AUTH_ENTRY), named, "auth:token")
        providers_href = link_href(root, "auth:identity-providers")
        providers = await self._json(client, providers_href) if providers_href else {}
        embedded = providers.get("_embedded")
        found = embedded.get("auth:identity-provider") if isinstance(embedded, dict) else None
        for provider in found if isinstance(found, list) else [found]:
            if isinstance(provider, dict) and provider.get("kind") == self.provider_kind:
                for rel in self.login_rels:
                    href = link_href(provider, rel)
                    if href is not None:
                        return href, token_href
        raise UpstreamLoginFailed(
            f"backend {self.backend} offers no {self.provider_kind} identity provider "
            f"for the gateway's {self.flow} login",
            backend=self.backend,
        )
