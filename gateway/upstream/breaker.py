"""A circuit breaker per backend: an upstream that keeps failing is left alone for a while.

Without it, every request to a dead upstream waits for its connection to fail or its
budget (``timeout_s``, retries included) to run out, and keeps the upstream's recovery
busy with calls. :class:`Breaker` has three states:

- **closed**: calls go through. ``failures`` failed exchanges in a row open it.
- **open**: every call fails at once with :class:`~gateway.web.errors.BackendOpen` (503
  ``backend-unavailable``, ``Retry-After`` the seconds until the next trial), having sent
  nothing upstream, for ``open_s`` seconds.
- **half-open**: once ``open_s`` has passed, one call (the trial) goes through while the
  others are still refused. Its success closes the breaker; its failure opens it for
  another ``open_s``. A trial that has not answered within ``open_s`` (a long upload)
  lets the next call be a trial too.

An exchange is one request sent upstream: every try of a retried call counts. It fails
on a connection failure (refused, reset, DNS, TLS), on a timeout and on an answer of
500, 502, 503 or 504. Any other answer is a success: a 404 or a refused login is the
upstream speaking. Neither counts: a call refused before it was sent (the backend's cap
on concurrent calls, ``backend-busy``; a budget spent waiting), a request body that failed
on the gateway's side, a caller that went away. Outcomes of calls let through before the
breaker last opened are ignored: they tell of the upstream as it was.

An exchange counts once, judged by its head (a media transfer may last an hour after
it). An answer whose body then breaks off turns that success into one failure, as if the
success had not been (a trial so judged opens the breaker again); a failure stays one
failure however its body ends.

The state lives in the process: with several processes each learns on its own, after
``failures`` failures of its own.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from gateway.web.errors import BackendOpen

log = logging.getLogger(__name__)

State = Literal["closed", "open", "half-open"]
Verdict = Literal["ok", "failed", "abandoned"]
FAILURE_STATUSES: Final = frozenset({500, 502, 503, 504})
"""Upstream answers that count as failures: the upstream, or what is in front of it, is down."""


@dataclass(slots=True)
class Ticket:
    """One exchange let through; its outcome goes back to the breaker that issued it."""

    generation: int
    trial: bool
    verdict: Verdict | None = None
    """What the breaker was told of it; ``None`` until then."""
    reset: tuple[int, int] | None = None
    """Once judged ok: (the breaker's successes then, the failures in a row it reset)."""


class Breaker:
    """The circuit breaker of one backend; ``failures = 0`` turns it off."""

    def __init__(
        self,
        backend: str,
        *,
        failures: int = 5,
        open_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.failures = failures
        self.open_s = open_s
        self.clock = clock
        """Seconds, monotonic; tests give a clock of their own."""
        self.opened = 0
        """How many times it opened (a trial's failure included) since the process started."""
        self._open = False
        self._until = 0.0  # while open: when the next trial may go
        self._failed = 0  # while closed: failed exchanges in a row
        self._successes = 0  # successes judged so far: which reset of the count came last
        self._generation = 0  # changes whenever it opens: older tickets no longer count
        self._trial_until: float | None = None  # a trial in flight blocks others until then

    def __repr__(self) -> str:
        return f"Breaker({self.backend!r}, {self.state})"

    @property
    def state(self) -> State:
        """``closed``, ``open`` or ``half-open`` (open, but its time is up: a trial may go)."""
        if not self._open:
            return "closed"
        return "open" if self.clock() < self._until else "half-open"

    def check(self) -> None:
        """Raise :class:`BackendOpen` when a call would be refused now; reserves nothing.

        For the start of a call, before any login or wait for a slot: a refused call
        costs nothing.
        """
        if self._open and self._refusing(self.clock()):
            raise self.refusal()

    def admit(self) -> Ticket:
        """Let one exchange through, or raise :class:`BackendOpen`; report its outcome."""
        if not self._open:
            return Ticket(self._generation, trial=False)
        now = self.clock()
        if self._refusing(now):
            raise self.refusal()
        self._trial_until = now + self.open_s
        log.info("backend %s: circuit half-open, one call tries the upstream", self.backend)
        return Ticket(self._generation, trial=True)

    def succeeded(self, ticket: Ticket) -> None:
        """The upstream answered the exchange of ``ticket`` (with no failure status).

        A no-op once the ticket has a verdict: an exchange is counted once.
        """
        if ticket.verdict is not None:
            return
        ticket.verdict = "ok"
        if ticket.generation != self._generation:
            return
        if self._open:
            log.info("backend %s: the trial call succeeded; circuit closed", self.backend)
            self._open = False
            self._trial_until = None
        self._successes += 1
        ticket.reset = (self._successes, self._failed)
        self._failed = 0

    def failed(self, ticket: Ticket) -> None:
        """The exchange of ``ticket`` failed (see the module doc).

        Once per ticket; after :meth:`succeeded` (a good head whose body broke off) it
        still counts, as the one failure of that exchange.
        """
        if ticket.verdict in ("failed", "abandoned"):
            return
        judged_ok = ticket.verdict == "ok"
        ticket.verdict = "failed"
        if ticket.generation != self._generation:
            return
        if self._open or (ticket.trial and judged_ok):
            # A trial whose head closed the breaker and whose body then broke off proves
            # no more than a trial that failed outright.
            self._trip(f"the trial call failed; calls refused for {self.open_s:g} s again")
            return
        if ticket.reset is not None and ticket.reset[0] == self._successes:
            # Its head's success was the last to reset the count: undone, else an upstream
            # whose every body breaks off would never open the breaker.
            self._failed += ticket.reset[1]
        self._failed += 1
        if self.failures and self._failed >= self.failures:
            self._trip(
                f"{self._failed} upstream calls failed in a row; "
                f"calls refused for {self.open_s:g} s"
            )

    def abandoned(self, ticket: Ticket) -> None:
        """The exchange of ``ticket`` ended with no outcome; a trial's place is free again."""
        if ticket.verdict is not None:
            return
        ticket.verdict = "abandoned"
        if ticket.trial and ticket.generation == self._generation:
            self._trial_until = None

    def retry_after_s(self) -> int:
        """Whole seconds until a call may go through again (at least 1)."""
        now = self.clock()
        until = self._until if now < self._until else (self._trial_until or now)
        return max(1, math.ceil(until - now))

    def refusal(self) -> BackendOpen:
        """The 503 of a call refused while the breaker is open."""
        return BackendOpen(
            f"backend {self.backend} failed repeatedly and is not called for now; "
            "try again after Retry-After",
            backend=self.backend,
            retry_after_s=self.retry_after_s(),
        )

    def _refusing(self, now: float) -> bool:
        """While open: before the trial time, or while a trial is under way."""
        if now < self._until:
            return True
        return self._trial_until is not None and now < self._trial_until

    def _trip(self, why: str) -> None:
        self._open = True
        self._until = self.clock() + self.open_s
        self._trial_until = None
        self._failed = 0
        self._generation += 1
        self.opened += 1
        log.warning("backend %s: circuit open: %s", self.backend, why)
