"""The Avalon Media System simulator: its JSON API on a loopback port.

Registered under the ``hal_gateway.simulators`` entry points; the gateway imports it only
for a backend whose ``url`` is ``"simulator"`` and for ``hal-gateway simulate avalon``.
The adapter never imports it. :mod:`.server` holds the simulator class, the other
modules its state, seed, records and endpoints.
"""

from adapters.avalon.simulator.server import (
    DEFAULT_ADMIN,
    DEFAULT_ADMIN_KEY,
    DEFAULT_USER_KEY,
    AvalonSimulator,
)

__all__ = ["DEFAULT_ADMIN", "DEFAULT_ADMIN_KEY", "DEFAULT_USER_KEY", "AvalonSimulator"]
