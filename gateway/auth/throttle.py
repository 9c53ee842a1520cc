"""Failed-login throttling: a sliding window per user name and per client address.

Every refused login (``/auth/login``, ``/auth/token``) is recorded twice: under the
name it tried and under the address it came from. Once either has
``auth.login_attempts`` failures within ``auth.login_window_s`` seconds, further
attempts are refused with 429 and ``Retry-After`` until the oldest failure leaves the
window, without checking the password: guessing stops, and the answer is the same
whether the name exists or not. The windows live in the state store, so with Redis
every gateway process counts the same failures.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from gateway.config.auth import AuthConfig
from gateway.state.base import StateStore
from gateway.web.errors import TooManyRequests


def _key(scope: str, value: str) -> str:
    # Hashed: user names and addresses are not kept as they are in the store.
    return f"failures:{scope}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


class LoginThrottle:
    """Counts failed logins and refuses attempts over the limit."""

    def __init__(
        self, auth: AuthConfig, store: StateStore, clock: Callable[[], float] = time.time
    ) -> None:
        self._limit = auth.login_attempts
        self._window = auth.login_window_s
        self._store = store
        self._clock = clock

    async def check(self, name: str, address: str) -> None:
        """Raise 429 when the name or the address is over the limit."""
        retry = 0.0
        for key in (_key("name", name.lower()), _key("address", address)):
            failures = await self._store.window(key, self._window)
            if len(failures) >= self._limit:
                oldest = failures[-self._limit]
                retry = max(retry, oldest + self._window - self._clock())
        if retry > 0:
            raise TooManyRequests(
                "too many failed logins; try again later", retry_after_s=max(1, math.ceil(retry))
            )

    async def failed(self, name: str, address: str) -> None:
        """Record one failed login of ``name`` from ``address``."""
        await self._store.window(_key("name", name.lower()), self._window, add=True)
        await self._store.window(_key("address", address), self._window, add=True)
