"""Finds adapters by kind name through the ``hal_gateway.adapters`` entry points.

The core never imports an adapter module by name: a kind is whatever an installed
distribution registers under the entry-point group, so a deployment can add its own.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from gateway.spi.adapter import Adapter

GROUP: Final = "hal_gateway.adapters"


@cache
def available_kinds() -> tuple[str, ...]:
    """The adapter kinds installed, sorted by name."""
    return tuple(sorted(ep.name for ep in entry_points(group=GROUP)))


@cache
def adapter_class(kind: str) -> type[Adapter]:
    """The adapter class registered for ``kind``; ``KeyError`` if none is."""
    for ep in entry_points(group=GROUP, name=kind):
        cls: type[Adapter] = ep.load()
        return cls
    raise KeyError(kind)
