"""Finds adapters and simulators by kind name through entry points.

The core never imports an adapter module by name: a kind is whatever an installed
distribution registers under the ``hal_gateway.adapters`` group, so a deployment can add
its own. The kind's simulator is registered apart, under ``hal_gateway.simulators``, so
serving real upstreams never loads one: :func:`simulator_class` imports it only when a
backend's ``url`` is ``"simulator"`` or ``hal-gateway simulate`` runs it.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from gateway.spi.adapter import Adapter
    from gateway.spi.simulator import Simulator

GROUP: Final = "hal_gateway.adapters"
SIMULATORS: Final = "hal_gateway.simulators"


@cache
def available_kinds() -> tuple[str, ...]:
    """The adapter kinds installed, sorted by name."""
    return tuple(sorted(ep.name for ep in entry_points(group=GROUP)))


@cache
def simulated_kinds() -> tuple[str, ...]:
    """The kinds with a simulator installed, sorted by name; none of them is imported."""
    return tuple(sorted(ep.name for ep in entry_points(group=SIMULATORS)))


@cache
def adapter_class(kind: str) -> type[Adapter]:
    """The adapter class registered for ``kind``; ``KeyError`` if none is."""
    for ep in entry_points(group=GROUP, name=kind):
        cls: type[Adapter] = ep.load()
        return cls
    raise KeyError(kind)


@cache
def simulator_class(kind: str) -> type[Simulator]:
    """The simulator class registered for ``kind``; ``KeyError`` if none is."""
    for ep in entry_points(group=SIMULATORS, name=kind):
        cls: type[Simulator] = ep.load()
        return cls
    raise KeyError(kind)
