"""Password and client-secret hashes: salted scrypt with its parameters in the string.

Format (PHC string style)::

    $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt, base64>$<key, base64>

scrypt is memory-hard and in the standard library. ``hal-gateway hash-password`` makes
hashes with :data:`DEFAULT_COST`; the parameters travel in the hash, so stronger (or,
in tests, cheaper) hashes verify without any setting. Verification runs in a worker
thread: a hash costs tens of milliseconds and must not stall the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from gateway.config.hashes import FORMAT as _FORMAT
from gateway.config.hashes import MAX_MEMORY

KEY_BYTES: Final = 32
SALT_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class Cost:
    """scrypt parameters: N = 2**ln, block size r, parallelism p."""

    ln: int = 17
    r: int = 8
    p: int = 1


DEFAULT_COST: Final = Cost()
"""N = 2**17, r = 8, p = 1: 128 MiB per hash, the OWASP recommendation for scrypt."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _derive(password: str, salt: bytes, cost: Cost) -> bytes:
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=2**cost.ln,
        r=cost.r,
        p=cost.p,
        maxmem=MAX_MEMORY,
        dklen=KEY_BYTES,
    )


def hash_password(password: str, cost: Cost = DEFAULT_COST) -> str:
    """A new salted hash of ``password``."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, cost)
    return f"$scrypt$ln={cost.ln},r={cost.r},p={cost.p}${_b64(salt)}${_b64(key)}"


def cost_of(stored: str) -> int:
    """The memory a hash costs to check (128 * r * N bytes); 0 for a malformed one."""
    match = _FORMAT.fullmatch(stored)
    if match is None:
        return 0
    ln, r, _ = (int(g) for g in match.groups()[:3])
    return int(128 * r * 2**ln)


def verify(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time comparison)."""
    match = _FORMAT.fullmatch(stored)
    if match is None:
        return False
    ln, r, p = (int(g) for g in match.groups()[:3])
    salt, key = base64.b64decode(match.group(4)), base64.b64decode(match.group(5))
    try:
        derived = _derive(password, salt, Cost(ln, r, p))
    except ValueError:  # parameters scrypt refuses (memory): no password matches
        return False
    return hmac.compare_digest(derived, key)


async def verify_async(password: str, stored: str | None, decoy: str) -> bool:
    """:func:`verify` in a worker thread; an unknown principal still costs a hash.

    With ``stored`` None (no such user) ``decoy``, another configured hash, is checked
    and the answer is False: it takes as long as for a real user, so timing does not
    tell who exists.
    """
    if stored is None:
        await asyncio.to_thread(verify, password, decoy)
        return False
    return await asyncio.to_thread(verify, password, stored)
