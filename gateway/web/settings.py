"""The HTTP settings the toolkit reads, under one application key.

The toolkit knows no configuration file: the application stores whatever object has
these attributes (the ``[server]`` table does) under :data:`HTTP`.
"""

from __future__ import annotations

from typing import Final, Protocol

from aiohttp import web


class HttpSettings(Protocol):
    """What the toolkit needs to know of the server: its public URL and its limits."""

    @property
    def public_url(self) -> str:
        """Base URL clients use; empty means derive it per request."""

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


HTTP: Final = web.AppKey("http_settings", HttpSettings)
"""The running application's HTTP settings."""
