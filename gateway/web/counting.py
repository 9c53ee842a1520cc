"""Counters, histograms and scrape-time gauges, kept without locks, read by prometheus_client.

prometheus_client's own metric classes take a lock on every update: half a microsecond
for a count, a whole one for a histogram, several on each request. A gateway process
serves on one event loop, one thread: nothing updates a value concurrently, so a count
here is a plain number in a slot (:class:`Cell`, :class:`Series`), found once per route
or backend and kept (a *child*), and prometheus_client only reads the families when
``/metrics`` is asked for (:meth:`Family.collect`), in that same thread.

Label values are whatever the caller gives: callers give only bounded ones (route
templates, backend names, methods, statuses), never names, ids or paths a client chose.
"""

from __future__ import annotations

import abc
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

Labels = tuple[str, ...]

LATENCY_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
"""Upper bounds, in seconds, of the latency histograms: a cached answer takes about a
millisecond, an upstream call its backend's ``timeout_s`` (10 s by default) at most."""


class Cell:
    """One series of a counter: a number that only grows."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        """Add ``amount``."""
        self.value += amount


class Series:
    """One series of a histogram: counts per bucket and the sum of what was observed."""

    __slots__ = ("_bounds", "counts", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self._bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float) -> None:
        """Count ``value`` in the first bucket whose bound is at least it."""
        self.counts[bisect_left(self._bounds, value)] += 1
        self.sum += value


class Family(abc.ABC):
    """A metric family: a name, its help text, its label names."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = tuple(labels)

    @abc.abstractmethod
    def collect(self) -> Metric:
        """The family as prometheus_client exposes it, read now."""


class Counter(Family):
    """A counter family; ``name`` ends in ``_total``."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, documentation, labels)
        self._cells: dict[Labels, Cell] = {}

    def child(self, *values: str) -> Cell:
        """The series of these label values, made on first use: keep it where it is used."""
        cell = self._cells.get(values)
        if cell is None:
            cell = self._cells[values] = Cell()
        return cell

    def inc(self, *values: str) -> None:
        """Add one to the series of these label values (for rare events: finds it each time)."""
        self.child(*values).value += 1

    def collect(self) -> Metric:
        """A counter family with every series counted so far."""
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for values, cell in self._cells.items():
            family.add_metric(values, cell.value)
        return family


class Histogram(Family):
    """A histogram family with fixed bucket bounds."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = LATENCY_BUCKETS,
    ) -> None:
        super().__init__(name, documentation, labels)
        self.bounds = tuple(sorted(buckets))
        self._series: dict[Labels, Series] = {}

    def child(self, *values: str) -> Series:
        """The series of these label values, made on first use: keep it where it is used."""
        series = self._series.get(values)
        if series is None:
            series = self._series[values] = Series(self.bounds)
        return series

    def collect(self) -> Metric:
        """A histogram family: cumulative buckets, the count (the +Inf bucket) and the sum."""
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        for values, series in self._series.items():
            running, buckets = 0, []
            for bound, count in zip((*self.bounds, float("inf")), series.counts, strict=True):
                running += count
                buckets.append((_bound(bound), float(running)))
            family.add_metric(values, buckets, series.sum)
        return family


class Gauge(Family):
    """A gauge read when scraped: ``read`` yields (label values, value) pairs."""

    def __init__(
        self,
        name: str,
        documentation: str,
        read: Callable[[], Iterable[tuple[Labels, float]]],
        labels: Sequence[str] = (),
    ) -> None:
        super().__init__(name, documentation, labels)
        self._read = read

    def collect(self) -> Metric:
        """A gauge family with the values ``read`` gives now."""
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labels)
        for values, value in self._read():
            family.add_metric(values, value)
        return family


class CountRead(Gauge):
    """A counter another object keeps, read when scraped (``name`` ends in ``_total``)."""

    def collect(self) -> Metric:
        """A counter family with the values ``read`` gives now."""
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for values, value in self._read():
            family.add_metric(values, value)
        return family


class Collector:
    """The families of one registry, for prometheus_client's ``CollectorRegistry``."""

    def __init__(self) -> None:
        self.families: list[Family] = []

    def add(self, family: Family) -> None:
        """Expose ``family`` from now on."""
        self.families.append(family)

    def collect(self) -> Iterator[Metric]:
        """Every family, read now (prometheus_client calls this on each scrape)."""
        for family in self.families:
            yield family.collect()

    def describe(self) -> list[Metric]:
        """Nothing: the registry then reads the names on each scrape, never ahead of it."""
        return []


def _bound(bound: float) -> str:
    """A bucket bound as the text format writes ``le``."""
    return "+Inf" if bound == float("inf") else repr(float(bound))
