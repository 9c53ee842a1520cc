"""How an adapter documents the link relations it emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

GW_PREFIX: Final = "gw"
"""The CURIE prefix of the gateway's own relations, documented at ``/rels/{rel}``."""


@dataclass(frozen=True, slots=True)
class RelationDoc:
    """Documentation of one link relation, served at ``/rels/[<prefix>/]<name>``."""

    name: str
    title: str
    description: str
    methods: tuple[str, ...] = ("GET",)
    template: str | None = None
    example: str | None = None


def doc_path(prefix: str, name: str) -> str:
    """Where the documentation of ``prefix:name`` is served."""
    return f"/rels/{name}" if prefix == GW_PREFIX else f"/rels/{prefix}/{name}"


def curie_template(prefix: str) -> str:
    """The CURIE href template of ``prefix`` (path part; prepend the base URL)."""
    return "/rels/{rel}" if prefix == GW_PREFIX else f"/rels/{prefix}/{{rel}}"
