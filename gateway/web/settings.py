"""The HTTP settings the toolkit reads, under one application key.

The toolkit knows no configuration file: the application stores whatever object has
these attributes (the ``[server]`` table does) under :data:`HTTP`.
"""

from __future__ import annotations

from typing import Final, Protocol

from aiohttp import web


class HttpSettings(Protocol):
    """What the toolkit needs to know of the server: its public URL, limits and timeouts."""

    @property
    def public_url(self) -> str:
        """Base URL clients use; empty means derive it per request."""

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Hosts the gateway answers for (see :mod:`gateway.web.hosts`)."""

    @property
    def trust_forwarded(self) -> bool:
        """Whether ``X-Forwarded-*`` headers may set the base URL and client address."""

    @property
    def max_body_bytes(self) -> int:
        """Largest request body read into memory (413 above)."""

    @property
    def max_upload_bytes(self) -> int:
        """Largest body streamed through to an upstream (413 above)."""

    @property
    def max_uri_bytes(self) -> int:
        """Longest request URI accepted (414 above)."""

    @property
    def header_timeout_s(self) -> float:
        """Time a client has to finish a request's head once it began it (408 after)."""

    @property
    def body_timeout_s(self) -> float:
        """Longest wait for the next bytes of a request body (408 after)."""

    @property
    def max_connections(self) -> int:
        """Most client connections served at once (503 beyond)."""


HTTP: Final = web.AppKey("http_settings", HttpSettings)
"""The running application's HTTP settings."""
