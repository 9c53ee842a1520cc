"""The MediaCentral backend: a CTMS platform reached through its registry."""

from __future__ import annotations

from typing import ClassVar

from adapters.base import Adapter
from adapters.mediacentral.simulator import MediaCentralSimulator
from gateway.config import BackendConfig
from gateway.schema import Field


class MediaCentralAdapter(Adapter):
    """An Avid MediaCentral Cloud UX platform."""

    kind = "mediacentral"
    curie = "mediacentral"
    description = "Avid MediaCentral newsroom and production assets (CTMS)"
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field("auth", str, "Upstream login flow.", default="mcux", choices=("mcux", "oauth2")),
        Field("username", str, "User name (mcux login and OAuth2 password grant)."),
        Field("password", str, "Password (mcux login and OAuth2 password grant).", secret=True),
        Field("client_id", str, "OAuth2 client id."),
        Field("client_secret", str, "OAuth2 client secret.", secret=True),
        Field(
            "grant",
            str,
            "OAuth2 grant.",
            default="password",
            choices=("password", "client_credentials"),
        ),
    )
    simulator_class = MediaCentralSimulator

    @classmethod
    def create_simulator(cls, backend: BackendConfig) -> MediaCentralSimulator:
        """A simulator that accepts the configured user."""
        password = backend.options.get("password")
        users = {backend.options["username"]: password.reveal()} if password else None
        return MediaCentralSimulator(users=users)

    async def probe(self) -> None:
        """The authentication root answers."""
        await self.client.request("GET", "/auth")
