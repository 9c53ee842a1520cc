"""The Avalon adapter tests' fixtures; they live in :mod:`tests.support.avalon`."""

from __future__ import annotations

from tests.support.avalon import (
    client,
    nav,
    simulator,
)

__all__ = ["client", "nav", "simulator"]
