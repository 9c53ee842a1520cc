"""The web tests' fixtures; they live in :mod:`tests.support.served`."""

from __future__ import annotations

from tests.support.served import serve

__all__ = ["serve"]
