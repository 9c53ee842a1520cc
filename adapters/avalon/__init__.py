"""Avalon Media System: adapter and simulator."""

from adapters.avalon.adapter import AvalonAdapter

__all__ = ["AvalonAdapter"]
