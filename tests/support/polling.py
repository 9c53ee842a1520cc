"""Waiting for something to happen: poll a condition, fail after a bounded time.

No test sleeps for a fixed time and hopes: it polls what it waits for, with a deadline
generous enough for a loaded machine, and fails naming what did not happen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

WITHIN_S: Final = 20.0
"""How long a condition may take to hold by default."""
EVERY_S: Final = 0.01
"""How often it is asked."""


def wait_until(condition: Callable[[], bool], what: str, *, within_s: float = WITHIN_S) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``within_s``."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"not within {within_s:g} s: {what}"
        time.sleep(EVERY_S)


async def await_until(
    condition: Callable[[], bool], what: str, *, within_s: float = WITHIN_S
) -> None:
    """:func:`wait_until` for async tests: the event loop runs on between the polls."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"not within {within_s:g} s: {what}"
        await asyncio.sleep(EVERY_S)
