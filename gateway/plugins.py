"""Adapters and simulators by kind name, as the classes the gateway builds.

The lookup itself is :mod:`gateway.config.kinds` (entry points, nothing imported until
asked); this module gives its answers their spi types. A kind's simulator is registered
apart from its adapter, so serving real upstreams never loads one:
:func:`simulator_class` imports it only when a backend's ``url`` is ``"simulator"`` or
``hal-gateway simulate`` runs it.
"""

from __future__ import annotations

from gateway.config.kinds import ADAPTERS, SIMULATORS, available_kinds, load, simulated_kinds
from gateway.spi.adapter import Adapter
from gateway.spi.simulator import Simulator

__all__ = ["adapter_class", "available_kinds", "simulated_kinds", "simulator_class"]


def adapter_class(kind: str) -> type[Adapter]:
    """The adapter class registered for ``kind``; ``KeyError`` if none is."""
    cls: type[Adapter] = load(ADAPTERS, kind)
    return cls


def simulator_class(kind: str) -> type[Simulator]:
    """The simulator class registered for ``kind``; ``KeyError`` if none is."""
    cls: type[Simulator] = load(SIMULATORS, kind)
    return cls
