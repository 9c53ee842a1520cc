"""The Flex simulator tests' fixtures; they live in :mod:`tests.support.flex.fixtures`."""

from __future__ import annotations

from tests.support.flex.fixtures import (
    api,
    sim,
)

__all__ = ["api", "sim"]
