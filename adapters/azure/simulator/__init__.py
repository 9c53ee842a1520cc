"""The Azure Media Services Connector simulator: its API, blob storage and streaming.

Registered under the ``hal_gateway.simulators`` entry points; the gateway imports it only
for a backend whose ``url`` is ``"simulator"`` and for ``hal-gateway simulate azure``.
The adapter never imports it. :mod:`.server` holds the simulator class, the other
modules its state, seed, token endpoint, storage and endpoints.
"""

from adapters.azure.simulator.server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TOKEN,
    AzureSimulator,
    StorageFault,
    StoredFile,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_TOKEN",
    "AzureSimulator",
    "StorageFault",
    "StoredFile",
]
