"""The Flex adapter tests' fixtures; they live in :mod:`tests.support.flex.fixtures`."""

from __future__ import annotations

from tests.support.flex.fixtures import (
    client,
    nav,
    simulator,
)

__all__ = ["client", "nav", "simulator"]
