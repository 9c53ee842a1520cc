"""``/metrics`` read as a scraper reads it: parsed by prometheus_client's own parser."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

EXPOSITION = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Scrape:
    """The samples of one scrape: (sample name, labels) → value."""

    text: str
    samples: Mapping[tuple[str, frozenset[tuple[str, str]]], float]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        """Every sample of ``text``, as the Prometheus text format gives them."""
        samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        return cls(text, samples)

    def value(self, name: str, **labels: str) -> float:
        """The sample ``name`` with exactly these labels; 0 when there is none (not counted)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def series(self, name: str) -> list[dict[str, str]]:
        """The label sets of every sample called ``name``."""
        return [dict(labels) for sample, labels in self.samples if sample == name]


async def scrape(client: TestClient[Any, Any], **headers: str) -> Scrape:
    """``GET /metrics`` with ``headers`` (the client's own otherwise); it must answer 200."""
    answer = await client.get("/metrics", headers=headers or None)
    text = await answer.text()
    assert answer.status == 200, text
    assert answer.headers["Content-Type"] == EXPOSITION
    return Scrape.parse(text)
