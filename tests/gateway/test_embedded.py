"""Every embedded resource is one a HAL client may cache as the resource itself.

HAL clients (ketting, traverson-hal, ...) keep an embedded resource as the whole of its
``self`` and do not read it again. So the suite walks the gateway as such a client does,
family by family (one simulated backend of every kind, and the gateway's own resources),
and reads the ``self`` of every embedded resource it meets: the embedded copy must carry
every link the resource read by itself has (its properties may be fewer). An embedded
resource whose ``self`` lies off the gateway (a derivative's HLS playlist, a thumbnail
image) stands for bytes, which have no links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import pytest
from aiohttp.test_utils import TestClient

from gateway.web import hal
from tests.support.fixtures import EVERY_KIND, ConfigFactory, GatewayFactory

HAL_TYPES: Final = ("application/hal+json", "application/json")
MAX_DOCUMENTS: Final = 300
"""Documents read per family: the walk is bounded, each family's is well under this."""
Doc = dict[str, Any]
LinkKey = tuple[str, str, bool]
_PATH_VARIABLE: Final = re.compile(r"\{[^?&]")


@dataclass(frozen=True)
class Family:
    """Where a walk starts, how deep it goes, and what it must meet on the way."""

    start: str
    depth: int
    within: str
    seeds: tuple[tuple[str, dict[str, str]], ...] = ()
    """(relation on the start document, variables): templated starts besides the links."""
    must_meet: frozenset[str] = field(default_factory=frozenset)
    """Relations of embedded resources the walk must have checked: never vacuous."""


FAMILIES: Final = {
    "gateway": Family(
        "/",
        2,
        "",
        seeds=(("gw:assets", {"q": "interview"}), ("gw:collections", {"per_page": "100"})),
        must_meet=frozenset({"gw:backend", "gw:asset", "gw:items"}),
    ),
    "avalon": Family(
        "/backends/avalon",
        4,
        "/backends/avalon",
        must_meet=frozenset({"avalon:media-object", "avalon:master-file", "avalon:collection"}),
    ),
    "mediacentral": Family(
        "/backends/news",
        6,
        "/backends/news",
        seeds=(("mc:search", {"search": "fire"}),),
        must_meet=frozenset({"loc:item", "loc:collection", "aa:asset", "loc:referenced-object"}),
    ),
    "flex": Family(
        "/backends/flex",
        4,
        "/backends/flex",
        must_meet=frozenset({"flex:asset", "flex:collection", "flex:member", "flex:group"}),
    ),
    "azure": Family("/backends/azure", 3, "/backends/azure", must_meet=frozenset({"azure:video"})),
}


def links(doc: Doc) -> set[LinkKey]:
    """Every link of a document as (relation, href, templated), CURIEs aside."""
    found: set[LinkKey] = set()
    for rel, value in (doc.get("_links") or {}).items():
        if rel == "curies":
            continue
        for link in value if isinstance(value, list) else [value]:
            found.add((rel, link["href"], bool(link.get("templated"))))
    return found


def embedded(doc: Doc) -> Iterator[tuple[str, Doc]]:
    """Every embedded resource, at any depth, with its relation."""
    for rel, value in (doc.get("_embedded") or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield rel, item
                yield from embedded(item)


def self_href(doc: Doc) -> str | None:
    link = (doc.get("_links") or {}).get("self")
    return link.get("href") if isinstance(link, dict) else None


class Walk:
    """A breadth-first walk of one family, comparing embedded copies with their selves."""

    def __init__(self, client: TestClient[Any, Any], family: Family) -> None:
        self.client = client
        self.base = str(client.make_url("")).rstrip("/")
        self.family = family
        self.read: dict[str, Doc | None] = {}
        self.met: set[str] = set()
        self.failures: list[str] = []

    async def get(self, href: str) -> Doc | None:
        """A HAL document, read once; None for anything else (bytes, a problem)."""
        if href not in self.read:
            async with self.client.session.get(href, headers={"Accept": hal.MEDIA_TYPE}) as r:
                ok = r.status == 200 and r.content_type in HAL_TYPES
                self.read[href] = await r.json() if ok else None
        return self.read[href]

    def _next(self, doc: Doc) -> Iterator[str]:
        """Where a client goes from ``doc``: its links and its embedded resources."""
        inside = [(rel, href, False) for rel, item in embedded(doc) if (href := self_href(item))]
        for rel, href, templated in sorted(links(doc)) + inside:
            if rel in ("gw:logout", "up") or not href.startswith(self.base + self.family.within):
                continue
            if templated:
                if _PATH_VARIABLE.search(href):
                    continue  # needs an id: the links with ids lead there
                href = hal.expand(href)
            yield href

    async def run(self) -> None:
        start = self.base + self.family.start
        first = await self.get(start)
        assert first is not None, start
        level = [start]
        for rel, variables in self.family.seeds:
            level.append(hal.expand(first["_links"][rel]["href"], **variables))
        seen = set(level)
        for _ in range(self.family.depth + 1):
            following: list[str] = []
            for href in level:
                doc = await self.get(href)
                if doc is None:
                    continue
                await self._check(href, doc)
                for target in self._next(doc):
                    if target not in seen and len(seen) < MAX_DOCUMENTS:
                        seen.add(target)
                        following.append(target)
            level = following

    async def _check(self, href: str, doc: Doc) -> None:
        for rel, item in embedded(doc):
            target = self_href(item)
            if target is None or not target.startswith(self.base + "/"):
                continue
            self.met.add(rel)
            whole = await self.get(target)
            if whole is None:
                self.failures.append(f"{rel} in {href}: its self {target} is no HAL document")
                continue
            missing = links(whole) - links(item)
            if missing:
                shown = ", ".join(f"{r} {h}" for r, h, _ in sorted(missing))
                self.failures.append(f"{rel} {target} embedded in {href} lacks {shown}")


@pytest.mark.parametrize("name", list(FAMILIES))
async def test_every_embedded_resource_carries_every_link_of_its_self(
    gateway: GatewayFactory, make_config: ConfigFactory, name: str
) -> None:
    config = make_config(server={"rate_limit_per_s": 0}, backends=EVERY_KIND)
    walk = Walk(await gateway(config), FAMILIES[name])
    await walk.run()
    assert not walk.failures, "\n".join(walk.failures[:20])
    assert walk.family.must_meet <= walk.met, f"met only {sorted(walk.met)}"
