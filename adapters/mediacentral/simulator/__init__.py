"""The Avid MediaCentral Cloud UX simulator: login, CTMS registry and services.

Registered under the ``hal_gateway.simulators`` entry points; the gateway imports it only
for a backend whose ``url`` is ``"simulator"`` and for ``hal-gateway simulate
mediacentral``. The adapter never imports it. :mod:`.server` holds the simulator class,
the other modules its state, systems and seed, login endpoints, registry and services.
"""

from adapters.mediacentral.simulator.server import (
    DEFAULT_CLIENTS,
    DEFAULT_USERS,
    ImageAnswer,
    MediaCentralSimulator,
    SimSystem,
)

__all__ = ["DEFAULT_CLIENTS", "DEFAULT_USERS", "ImageAnswer", "MediaCentralSimulator", "SimSystem"]
