"""The Azure Media Services Connector backend: a bearer token on the ``/api`` resources."""

from __future__ import annotations

from typing import ClassVar

from adapters.azure.simulator import AzureSimulator
from adapters.base import Adapter
from gateway.config import BackendConfig
from gateway.schema import Field
from gateway.upstream import StaticHeaders, UpstreamAuth


class AzureAdapter(Adapter):
    """An Azure Media Services Connector."""

    kind = "azure"
    curie = "azure"
    description = "Azure Media Services Connector: upload, encode, play back"
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field("token", str, "Bearer token of the connector API.", required=True, secret=True),
    )
    simulator_class = AzureSimulator

    @classmethod
    def upstream_auth(cls, backend: BackendConfig) -> UpstreamAuth:
        """The configured bearer token."""
        return StaticHeaders({"Authorization": f"Bearer {backend.options['token'].reveal()}"})

    @classmethod
    def create_simulator(cls, backend: BackendConfig) -> AzureSimulator:
        """A simulator that accepts the configured token."""
        return AzureSimulator(token=backend.options["token"].reveal())

    async def probe(self) -> None:
        """The formats list answers for the configured token."""
        await self.client.request("GET", "/api/Formats")
