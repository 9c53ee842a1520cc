"""How long one upstream call may take, and when to try it again.

``timeout_s`` is the budget of a whole call: every attempt, every backoff and every
wait an upstream asks for with ``Retry-After`` come out of the same :class:`Deadline`.
A hung upstream therefore holds a call for ``timeout_s``, never ``(1 + retries) x
timeout_s``, and the timeout's problem can say the budget the client really waited.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

_LONGEST_DELAY_DIGITS: Final = 9
"""More digits than this is "not within any budget"; it also keeps ``int()`` cheap."""


@dataclass(slots=True)
class RetryPolicy:
    """Retries of idempotent calls: ``attempts`` extra tries, jittered exponential backoff."""

    attempts: int = 2
    base_delay_s: float = 0.05
    max_delay_s: float = 1.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """Full-jitter backoff before retry number ``attempt`` (1-based)."""
        return self.rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))


class Deadline:
    """The end of one call's time budget, on the event loop's clock."""

    def __init__(self, budget_s: float) -> None:
        self._ends = asyncio.get_running_loop().time() + budget_s

    def remaining(self) -> float:
        """Seconds left; never negative."""
        return max(0.0, self._ends - asyncio.get_running_loop().time())


def retry_after_s(value: str | None) -> float | None:
    """An RFC 9110 ``Retry-After`` value in seconds from now; None when absent or malformed.

    Either delay-seconds or an HTTP date; a date in the past is no wait at all.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float("inf") if len(value) > _LONGEST_DELAY_DIGITS else float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
