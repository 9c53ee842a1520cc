"""A failure of a shared upstream step (login, registry read), answered for a while.

When many requests wait for one login and it is refused, each of them trying again
would cost the account one more failed attempt (platforms lock accounts after a few)
for the same answer. :class:`Remembered` keeps the failure: callers that were already
waiting when it happened get it whatever the time, later callers for ``hold_s``
seconds; after that the next caller tries again.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from gateway.errors import UpstreamError

E = TypeVar("E", bound=UpstreamError)


class Remembered(Generic[E]):
    """The last failure of one shared step, with the time it happened."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.generation = 0
        """Counts failures; a caller notes it before waiting, to see one that came meanwhile."""
        self._error: E | None = None
        self._at = 0.0

    def remember(self, error: E, now: float) -> None:
        """Keep ``error``, which happened at ``now``."""
        self._error, self._at = error, now
        self.generation += 1

    def forget(self) -> None:
        """The step succeeded: nothing to answer for any more."""
        self._error = None

    def get(self, now: float, since: int) -> E | None:
        """A copy of the failure to raise, for a caller that started waiting at ``since``."""
        error = self._error
        if error is None:
            return None
        if self.generation == since and now >= self._at + self.hold_s:
            return None
        # A fresh exception per caller: one instance raised in many tasks would pile
        # their tracebacks onto each other.
        return type(error)(
            error.detail,
            backend=error.backend,
            upstream_status=error.upstream_status,
            errors=error.errors,
            upstream_code=error.upstream_code,
            headers=error.headers,
        )
