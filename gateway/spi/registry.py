"""What an adapter publishes in the CTMS-style service-roots registry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """One entry of the CTMS service-roots registry.

    ``rel`` is the full relation (``aa:asset-by-id``, ``avalon:media-objects``);
    ``path`` is relative to the backend root and may be an RFC 6570 template.
    """

    rel: str
    path: str
    templated: bool = False
