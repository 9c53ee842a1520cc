"""Dalet Flex MAM: the adapter."""

from adapters.flex.adapter import FlexAdapter

__all__ = ["FlexAdapter"]
