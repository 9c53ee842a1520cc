"""The Azure tests' fixtures; they live in :mod:`tests.support.azure.fixtures`."""

from __future__ import annotations

from tests.support.azure.fixtures import (
    clock,
    connect,
    nav,
    simulator,
    simulators,
)

__all__ = ["clock", "connect", "nav", "simulator", "simulators"]
