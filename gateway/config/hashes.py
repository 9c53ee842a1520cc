"""The password-hash strings the config holds: their format, and the check of it.

Hashes are made and verified by :mod:`gateway.auth.passwords`; the configuration only
needs to know that a value is one (``$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>``)
with parameters scrypt accepts.
"""

from __future__ import annotations

import re
from typing import Any, Final

FORMAT: Final = re.compile(
    r"\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)"
)
MAX_MEMORY: Final = 1024**3
"""scrypt refuses parameters needing more memory than this (1 GiB)."""


def check_hash(value: Any) -> str | None:
    """Config check: a well-formed hash with parameters scrypt accepts."""
    match = FORMAT.fullmatch(str(value))
    if match is None:
        return "must be a hash made by `hal-gateway hash-password` ($scrypt$ln=..,r=..,p=..$..$..)"
    ln, r, p = (int(g) for g in match.groups()[:3])
    if not (1 <= ln <= 24 and 1 <= r <= 32 and 1 <= p <= 16) or 128 * r * 2**ln >= MAX_MEMORY:
        return "has scrypt parameters out of range"
    return None
