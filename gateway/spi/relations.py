"""How an adapter documents the link relations it emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

GW_PREFIX: Final = "gw"
"""The CURIE prefix of the gateway's own relations, documented at ``/rels/{rel}``."""

BACKEND_ROOT: Final = "/backends/{backend}"
"""Where the template of an adapter's relation starts on its page: a relation page is
one per kind, and a deployment may have several backends of that kind."""


@dataclass(frozen=True, slots=True)
class RelationDoc:
    """Documentation of one link relation, served at ``/rels/[<prefix>/]<name>``.

    ``template`` is an RFC 6570 template of the relation's href: for an adapter's
    relations a path relative to the backend root (``/media-objects{?page}``), which
    the page shows after :data:`BACKEND_ROOT`, so that it names no backend and
    resolves for every backend of the kind; for the gateway's own, a path from the
    gateway root. ``backend`` is therefore no variable an adapter's template may use.
    """

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
