"""The kinds of backend installed, and what the configuration asks of a kind.

A kind is whatever an installed distribution registers under the ``hal_gateway.adapters``
entry-point group (its simulator, apart, under ``hal_gateway.simulators``), so a
deployment can add its own and the core names none. Checking a ``[backends.<name>]``
table needs only a kind's keys and checks, :class:`KindRules`; the adapter class
behind them is the spi's business (:mod:`gateway.plugins`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any, ClassVar, Final, Protocol

from gateway.config.schema import Field

ADAPTERS: Final = "hal_gateway.adapters"
SIMULATORS: Final = "hal_gateway.simulators"


class KindRules(Protocol):
    """A kind's own keys and checks, as ``check-config`` and ``serve`` read them."""

    config_fields: ClassVar[tuple[Field, ...]]
    user_fields: ClassVar[tuple[Field, ...]]

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Problems across the kind's keys, as (key, message)."""

    @classmethod
    def personal_keys(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        """The credential keys that say who logs in upstream."""

    @classmethod
    def check_user_options(
        cls, own: Mapping[str, Any], merged: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """Problems of one ``users.<user>`` table, as (key, message)."""


@cache
def available_kinds() -> tuple[str, ...]:
    """The adapter kinds installed, sorted by name; none of them is imported."""
    return tuple(sorted(ep.name for ep in entry_points(group=ADAPTERS)))


@cache
def simulated_kinds() -> tuple[str, ...]:
    """The kinds with a simulator installed, sorted by name; none of them is imported."""
    return tuple(sorted(ep.name for ep in entry_points(group=SIMULATORS)))


@cache
def load(group: str, kind: str) -> Any:
    """The object ``kind`` registers under ``group``; ``KeyError`` if none is."""
    for ep in entry_points(group=group, name=kind):
        return ep.load()
    raise KeyError(kind)


def rules(kind: str) -> type[KindRules]:
    """The keys and checks of ``kind``; ``KeyError`` if it is not installed."""
    found: type[KindRules] = load(ADAPTERS, kind)
    return found
