"""Authorization codes: random, one-shot, a minute long, bound to a client, a redirect URI
and a PKCE challenge.

``/auth/authorize`` issues a code for a :class:`~gateway.auth.refresh.Grant`; the token
endpoint redeems it once. What the state store keeps, by digest (never a usable code)::

    oauth:code:<digest>       the pending code: its grant, redirect URI, challenge, end
    oauth:code-used:<digest>  a redeemed code: the grant its tokens belong to

The first redemption claims the code atomically (``put_new`` of its used record), so of
two racing redemptions exactly one gets tokens. A code presented again is refused, and,
as RFC 6749 section 4.1.2 asks, every token issued from it is revoked: the grant the used
record names ends, when the client presenting the code is the one it was issued to
(another client's presentation is refused and ends nothing). The used record is kept a few
minutes (:data:`USED_KEEP_S`): a replay comes within the code's minute or soon after, and a
record per login kept for the grant's whole life would let a flood of logins fill the
store.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from gateway.auth.refresh import TOKEN_BYTES, Grant, digest
from gateway.state.base import StateStore

CODE_TTL_S: Final = 60
"""Life of a code: the client redeems it as soon as the browser brings it back."""
USED_KEEP_S: Final = 5 * 60
"""How long a redeemed code is remembered, to tell a replay from an unknown code."""


@dataclass(frozen=True, slots=True)
class PendingCode:
    """An issued code not redeemed yet."""

    grant: Grant
    redirect_uri: str
    code_challenge: str
    """The PKCE S256 challenge the code verifier must answer."""
    expires_at: float


class Codes:
    """Issues, finds and claims authorization codes."""

    def __init__(self, store: StateStore, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    def __repr__(self) -> str:
        return f"Codes(ttl={CODE_TTL_S}s)"

    async def issue(self, grant: Grant, redirect_uri: str, code_challenge: str) -> str:
        """A new code for ``grant``, redeemable once, by its client, within a minute."""
        code = secrets.token_urlsafe(TOKEN_BYTES)
        record = {
            **grant.to_json(),
            "redirect_uri": redirect_uri,
            "code_challenge": code_challenge,
            "expires_at": self._clock() + CODE_TTL_S,
        }
        await self._store.put(_pending_key(code), record, CODE_TTL_S)
        return code

    async def find(self, code: str) -> PendingCode | None:
        """The pending code, expired or not; None when unknown or redeemed."""
        record = await self._store.get(_pending_key(code))
        if record is None:
            return None
        return PendingCode(
            Grant.from_json(record),
            str(record.get("redirect_uri", "")),
            str(record.get("code_challenge", "")),
            float(record.get("expires_at", 0)),
        )

    def expired(self, pending: PendingCode) -> bool:
        """Whether ``pending`` is past its minute."""
        return self._clock() >= pending.expires_at

    async def redeemed_for(self, code: str) -> str | None:
        """The grant the earlier redemption of ``code`` started; None if there was none."""
        record = await self._store.get(_used_key(code))
        return None if record is None else str(record.get("grant", ""))

    async def claim(self, code: str, family_id: str) -> str | None:
        """Redeem ``code`` for the grant ``family_id``: None when this call did, else the
        grant of the redemption that came first."""
        if await self._store.put_new(_used_key(code), {"grant": family_id}, USED_KEEP_S):
            await self._store.delete(_pending_key(code))
            return None
        return await self.redeemed_for(code) or ""


def _pending_key(code: str) -> str:
    return "oauth:code:" + digest(code)


def _used_key(code: str) -> str:
    return "oauth:code-used:" + digest(code)
