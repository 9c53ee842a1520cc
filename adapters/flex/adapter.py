"""The Flex MAM backend: HTTP Basic authentication against the ``/api`` resources."""

from __future__ import annotations

import base64
from typing import ClassVar

from adapters.base import Adapter
from adapters.flex.simulator import FlexSimulator
from gateway.config import BackendConfig
from gateway.schema import Field
from gateway.upstream import StaticHeaders, UpstreamAuth


class FlexAdapter(Adapter):
    """A Dalet Flex MAM."""

    kind = "flex"
    curie = "flex"
    description = "Dalet Flex media asset management"
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field("username", str, "Flex user name (HTTP Basic).", required=True),
        Field("password", str, "Flex password (HTTP Basic).", required=True, secret=True),
    )
    simulator_class = FlexSimulator

    @classmethod
    def upstream_auth(cls, backend: BackendConfig) -> UpstreamAuth:
        """HTTP Basic with the configured user."""
        user, password = backend.options["username"], backend.options["password"].reveal()
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return StaticHeaders({"Authorization": f"Basic {token}"})

    @classmethod
    def create_simulator(cls, backend: BackendConfig) -> FlexSimulator:
        """A simulator that accepts the configured user."""
        return FlexSimulator(
            users={backend.options["username"]: backend.options["password"].reveal()}
        )

    async def probe(self) -> None:
        """The API root answers for the configured user."""
        await self.client.request("GET", "/api")
