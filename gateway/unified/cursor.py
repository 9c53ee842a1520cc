"""Opaque, tamper-evident cursors for lists that page across several backends.

A cursor is ``<payload>.<mac>``, both base64url: the payload is a small JSON object
(where each backend stands, and a fingerprint of the query it belongs to), the MAC an
HMAC-SHA256 over it with a key derived from ``auth.signing_key`` (a random one per
process when that is empty). A client cannot read meaning into it, change it, or use
it with another query: any of that is a 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from gateway.web.errors import BadRequest

MAC_BYTES: Final = 16
MAX_CHARS: Final = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint(**query: Any) -> str:
    """A short digest of the query a cursor belongs to."""
    canonical = json.dumps(query, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class CursorCodec:
    """Makes and reads signed cursors."""

    def __init__(self, signing_key: str) -> None:
        secret = signing_key.encode() if signing_key else secrets.token_bytes(32)
        # A key of its own: a cursor MAC can never pass for a token signature.
        self._key = hmac.new(secret, b"hal-gateway cursor", hashlib.sha256).digest()
        self.clock: Callable[[], float] = time.time
        """The wall clock (epoch seconds) a cursor's life is measured by; tests move their own."""

    def __repr__(self) -> str:
        return "CursorCodec()"

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:MAC_BYTES]

    def encode(self, data: Mapping[str, Any]) -> str:
        """A cursor holding ``data``."""
        payload = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def decode(self, cursor: str, query: str) -> dict[str, Any]:
        """The data of ``cursor``; 400 unless this gateway made it for ``query``."""
        wrong = BadRequest(
            "the cursor is not one this gateway gave out for this query; "
            "start again from the first page"
        )
        if len(cursor) > MAX_CHARS:
            raise wrong
        payload_text, _, mac_text = cursor.partition(".")
        try:
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except (binascii.Error, ValueError):
            raise wrong from None
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise wrong
        data = json.loads(payload)
        if not isinstance(data, dict) or data.get("q") != query:
            raise wrong
        return data
