"""A clock tests move by hand, for lives, windows and renewals: no test waits."""

from __future__ import annotations

import time


class FakeClock:
    """Epoch seconds that move only when told; starts at the real clock's reading."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds
