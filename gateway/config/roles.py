"""The gateway's roles, weakest first, and the config check of a list of them."""

from __future__ import annotations

from typing import Any, Final

READER: Final = "reader"
EDITOR: Final = "editor"
ADMIN: Final = "admin"
ROLES: Final = (READER, EDITOR, ADMIN)
"""Every role, weakest first: reader reads backends, editor changes them, admin does all."""


def known_roles(value: Any) -> str | None:
    """Config check: every entry is a role."""
    unknown = [r for r in value if r not in ROLES]
    return f"unknown roles {unknown}; roles are {', '.join(ROLES)}" if unknown else None


def some_roles(value: Any) -> str | None:
    """Config check: at least one entry, every entry a role."""
    return known_roles(value) or (None if value else "must name at least one role")
