"""Dalet Flex MAM: adapter and simulator."""

from adapters.flex.adapter import FlexAdapter

__all__ = ["FlexAdapter"]
