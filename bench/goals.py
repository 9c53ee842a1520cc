"""The performance goals, and the one table that shows each against what a run measured.

Every goal is a ratio (or a growth) measured within one run on one machine, over the
same connections: absolute figures differ from machine to machine, ratios much less.
The benchmarks make the rows (:meth:`Goal.row`, :meth:`Goal.not_measured`);
:func:`table` prints them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

_COMPARE: Final[dict[str, Callable[[float, float], bool]]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "<": operator.lt,
}
_SHOWN: Final = {">=": "≥", "<=": "≤", "<": "<"}


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the goals table."""

    goal: str
    what: str
    measured: str
    value: str
    target: str
    result: str


@dataclass(frozen=True, slots=True)
class Goal:
    """A bound on one measured value: ``value OP bound``."""

    name: str
    what: str
    op: str
    bound: float
    unit: str = "x"

    def _shown(self, value: float) -> str:
        return f"{value:.2f}x" if self.unit == "x" else f"{value:+.1f}{self.unit}"

    def target(self) -> str:
        """``≥ 1.00x``, ``≤ 10 MB``."""
        bound = f"{self.bound:.2f}x" if self.unit == "x" else f"{self.bound:g}{self.unit}"
        return f"{_SHOWN[self.op]} {bound}"

    def row(self, measured: str, value: float) -> Row:
        """The row of a measured ``value``, with PASS or FAIL."""
        verdict = "PASS" if _COMPARE[self.op](value, self.bound) else "FAIL"
        return Row(self.name, self.what, measured, self._shown(value), self.target(), verdict)

    def not_measured(self, why: str) -> Row:
        """The row of a goal this run could not measure, saying why."""
        return Row(self.name, self.what, f"n/a ({why})", "n/a", self.target(), "n/a")


CACHED: Final = Goal("P1", "GET from the gateway's cache ÷ bare aiohttp handler, req/s", ">=", 0.6)
PROXIED: Final = Goal(
    "P2", "proxied GET (bearer, translated) ÷ naive aiohttp proxy, req/s", ">=", 1.0
)
PROXIED_P99: Final = Goal("P2", "its p99 ÷ the naive proxy's p99", "<=", 1.5)
WORKERS: Final = Goal("P3", "server.workers = 2 ÷ one worker, req/s", ">=", 1.5)
FANOUT: Final = Goal("P4", "unified fan-out ÷ (slowest backend alone + 10 % + 2 ms)", "<=", 1.0)
STEADY_RSS: Final = Goal(
    "P5", "gateway RSS growth over 100k requests after warm-up", "<=", 10, " MB"
)
UPLOAD_RSS: Final = Goal("P5", "gateway RSS growth during a 1 GiB upload", "<", 50, " MB")

ORDER: Final = (CACHED, PROXIED, PROXIED_P99, WORKERS, FANOUT, STEADY_RSS, UPLOAD_RSS)


def megabytes(kib: int) -> float:
    """KiB (as ``/proc`` counts) in MB of 10^6 bytes (as the goals count)."""
    return kib * 1024 / 1e6


def table(rows: Iterable[Row], header: str = "") -> str:
    """The goals table: the measured rows in the goals' order, then any others."""
    position = {(g.name, g.what): i for i, g in enumerate(ORDER)}
    ordered = sorted(rows, key=lambda r: position.get((r.goal, r.what), len(ORDER)))
    head = Row("goal", "what", "measured", "ratio", "target", "result")
    cells = [(r.goal, r.what, r.measured, r.value, r.target, r.result) for r in (head, *ordered)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([header, *lines] if header else lines)
