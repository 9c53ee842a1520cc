"""Where the checkout is, for tests that read its files or run its commands."""

from __future__ import annotations

from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
"""The checkout: the folder holding pyproject.toml, config/ and tests/."""
EMBEDDED_CONFIG: Final = ROOT / "config" / "gateway.toml"
"""The config ``make run`` serves."""
