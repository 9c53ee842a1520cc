"""The Dalet Flex MAM simulator: its REST API under ``/api`` on a loopback port.

Registered under the ``hal_gateway.simulators`` entry points; the gateway imports it only
for a backend whose ``url`` is ``"simulator"`` and for ``hal-gateway simulate flex``.
The adapter never imports it. :mod:`.server` holds the simulator class, the other
modules its state, seed, listing filters and object families.
"""

from adapters.flex.simulator.server import (
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    MEDIA_TYPE,
    FlexSimulator,
)

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_USER", "MEDIA_TYPE", "FlexSimulator"]
