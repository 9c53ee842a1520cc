"""The Avalon simulator tests' fixtures; they live in :mod:`tests.support.avalon`."""

from __future__ import annotations

from tests.support.avalon import (
    call,
    make_sim,
    sim,
)

__all__ = ["call", "make_sim", "sim"]
