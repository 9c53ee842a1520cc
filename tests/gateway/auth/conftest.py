"""The auth tests' fixtures; they live in :mod:`tests.support.sso`."""

from __future__ import annotations

from tests.support.sso import provider, sso

__all__ = ["provider", "sso"]
