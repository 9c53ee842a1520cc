"""The MediaCentral tests' fixtures; they live in :mod:`tests.support.mediacentral.fixtures`."""

from __future__ import annotations

from tests.support.mediacentral.fixtures import (
    connect,
    simulator,
    simulators,
)

__all__ = ["connect", "simulator", "simulators"]
