"""How an adapter documents the link relations it emits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RelationDoc:
    """Documentation of one link relation, served at ``/rels/[<prefix>/]<name>``."""

    name: str
    title: str
    description: str
    methods: tuple[str, ...] = ("GET",)
    template: str | None = None
    example: str | None = None
