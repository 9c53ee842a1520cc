"""Avalon Media System: the adapter."""

from adapters.avalon.adapter import AvalonAdapter

__all__ = ["AvalonAdapter"]
