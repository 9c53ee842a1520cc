"""The OpenID Connect issuer's discovery document (OpenID Connect Discovery 1.0).

Fetched from ``<issuer>/.well-known/openid-configuration`` on first use and kept
``auth.oidc.jwks_ttl_s`` seconds: where its keys are (when ``jwks_url`` is not
configured), and, for single sign-on, its authorization, token and end-session
endpoints. A document whose ``issuer`` is not the configured one is refused (section
4.3: it would let another party speak for the issuer), as is one that names an
endpoint over plain http off loopback. An issuer that cannot be reached is a 503; a
document fetched before is kept meanwhile.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from gateway.config.oidc import OidcConfig
from gateway.web.errors import ServiceUnavailable

log = logging.getLogger(__name__)

WELL_KNOWN: Final = "/.well-known/openid-configuration"
FETCH_TIMEOUT_S: Final = 10.0
REFETCH_S: Final = 10.0
"""After a failed fetch, the document kept is used this long before trying again."""
_ENDPOINTS: Final = (
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "end_session_endpoint",
)


def safe_url(value: object) -> bool:
    """Whether ``value`` is an https URL, or an http one on loopback."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http":
        return False
    try:
        return ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return parts.hostname == "localhost"


class ProviderMetadata:
    """The issuer's discovery document, fetched once and kept for ``jwks_ttl_s``."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.url = config.issuer.rstrip("/") + WELL_KNOWN
        self._document: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self.clock: Callable[[], float] = time.monotonic
        """The clock of the document's life in the cache: this process's alone, so a
        monotonic one, which a wall clock set back or forth does not disturb."""

    def __repr__(self) -> str:
        return f"ProviderMetadata({self.url!r})"

    def http(self) -> aiohttp.ClientSession:
        """The HTTP session for the issuer's endpoints (discovery, keys, token endpoint)."""
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def document(self) -> Mapping[str, Any]:
        """The discovery document; 503 when it cannot be had and none is kept."""
        async with self._lock:
            now = self.clock()
            if self._document is None or now - self._fetched_at > self.config.jwks_ttl_s:
                self._document, self._fetched_at = await self._fetch(self._document, now)
            return self._document

    async def endpoint(self, name: str) -> str | None:
        """An endpoint the document names (``token_endpoint``...), None when it names none."""
        value = (await self.document()).get(name)
        return value if isinstance(value, str) else None

    async def _fetch(self, kept: dict[str, Any] | None, now: float) -> tuple[dict[str, Any], float]:
        """The document and when it counts as fetched."""
        try:
            async with self.http().get(self.url, headers={"Accept": "application/json"}) as answer:
                answer.raise_for_status()
                data = await answer.json(content_type=None)
            return _checked(data, self.config.issuer), now
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning(
                "the OIDC issuer's discovery document could not be fetched (%s)",
                exc if isinstance(exc, _Invalid) else type(exc).__name__,
            )
            if kept is not None:
                # Keep serving with what we have; try again a little later, not per request.
                return kept, now - self.config.jwks_ttl_s + REFETCH_S
            raise ServiceUnavailable(
                "the identity provider could not be reached (its discovery document); "
                "try again shortly"
            ) from exc

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


class _Invalid(ValueError):
    """The discovery document is not one the gateway may use."""


def _checked(data: Any, issuer: str) -> dict[str, Any]:
    """``data`` when it is the discovery document of ``issuer`` with usable endpoints."""
    if not isinstance(data, dict):
        raise _Invalid("the discovery document is not a JSON object")
    if data.get("issuer") != issuer:
        raise _Invalid("the discovery document names another issuer")
    for name in _ENDPOINTS:
        if name in data and not safe_url(data[name]):
            raise _Invalid(f"its {name} is not an https URL")
    return data
