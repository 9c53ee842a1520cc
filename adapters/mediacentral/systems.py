"""Choosing the CTMS system whose services a backend uses.

A platform's registry lists one entry per system for each relation: a platform with a
Production Management and an Asset Management system has two ``loc:root-item``
entries, each naming its system in ``systems`` (``systemType``, ``systemID``). A
relation's value is an array of entries, or a single entry (``PlatformTools.java``
reads both). The gateway takes every relation from the same system, never "the first"
entry: ``loc:root-item`` of one system with ``aa:asset-by-id`` of another would mix two
catalogues.

The backend names its system with ``system_id`` and/or ``system_type`` (compared
without regard to case: the vendor's own examples mix the case of system ids). Without
either, a registry that lists one system is taken as it is; one that lists several is
a configuration problem the operator must settle, and discovery fails with a message
that lists them. A system named in the configuration of a backend whose registry names
no systems at all fails the same way, never silently ignored. An entry that names no
system serves every system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gateway.spi import UpstreamUnavailable, plain

Json = dict[str, Any]
System = tuple[str, str]
"""``(systemType, systemID)`` as the registry spells them."""

CHOSEN_RELS: Final = (
    "loc:root-item",
    "loc:item-by-id",
    "aa:asset-by-id",
    "aa:update-asset-by-id",
    "search:simple-search",
)
"""The relations the gateway calls: the systems offering any of them are the choices."""
_TOKEN: Final = re.compile(r"[^\s;/?#{}]+")


def check_token(value: Any) -> str | None:
    """A config check: one word that can stand in a service path (no ``;``, ``/``, blanks)."""
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        return "must be one word without blanks, ';', '/', '?', '#' or braces"
    return None


def entries(value: Any) -> list[Json]:
    """A relation's entries that carry an href: an array of them, or a single one."""
    found = value if isinstance(value, list) else [value]
    return [e for e in found if isinstance(e, dict) and isinstance(e.get("href"), str)]


def systems_of(entry: Mapping[str, Any]) -> list[System]:
    """The systems an entry names (none: it serves every system)."""
    listed = entry.get("systems")
    out: list[System] = []
    for system in listed if isinstance(listed, list) else [listed]:
        if isinstance(system, dict):
            out.append((str(system.get("systemType", "")), str(system.get("systemID", ""))))
    return out


def _key(system: System) -> System:
    return (system[0].casefold(), system[1].casefold())


@dataclass(frozen=True, slots=True)
class SystemChoice:
    """The system a backend's config names; nothing named: the registry's only one."""

    system_id: str = ""
    system_type: str = ""

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> SystemChoice:
        """The choice a backend's options make (``system_id``, ``system_type``)."""
        return cls(plain(options.get("system_id")), plain(options.get("system_type")))

    def __bool__(self) -> bool:
        return bool(self.system_id or self.system_type)

    def __str__(self) -> str:
        named = [f'system_type "{self.system_type}"'] if self.system_type else []
        named += [f'system_id "{self.system_id}"'] if self.system_id else []
        return " and ".join(named)

    def fits(self, system: System) -> bool:
        """Whether ``system`` is the one chosen."""
        kind, ident = _key(system)
        return (not self.system_type or kind == self.system_type.casefold()) and (
            not self.system_id or ident == self.system_id.casefold()
        )


UNCHOSEN: Final = SystemChoice()
"""No system named: the registry's only one."""


def _describe(doc: Mapping[str, Any], offered: list[System]) -> str:
    """The systems as an operator reads them: ``systemType/systemID``, and the name."""
    names: dict[System, str] = {}
    described = doc.get("systems")
    for system in described if isinstance(described, list) else []:
        if isinstance(system, dict) and isinstance(system.get("name"), str):
            [pair] = systems_of({"systems": [system]})
            names[_key(pair)] = system["name"]
    shown = []
    for kind, ident in offered:
        name = names.get(_key((kind, ident)))
        shown.append(f"{kind}/{ident}" + (f' "{name}"' if name else ""))
    return ", ".join(shown)


def _offered(resources: Mapping[str, list[Json]]) -> list[System]:
    """The systems offering a relation the gateway calls, each once, in registry order."""
    seen: dict[System, System] = {}
    for rel in CHOSEN_RELS:
        for entry in resources.get(rel, []):
            for system in systems_of(entry):
                seen.setdefault(_key(system), system)
    return list(seen.values())


def _pick(
    doc: Mapping[str, Any], resources: Mapping[str, list[Json]], choice: SystemChoice, backend: str
) -> System | None:
    offered = _offered(resources)
    fitting = [s for s in offered if choice.fits(s)] if choice else offered
    if len(fitting) == 1:
        return fitting[0]
    if not offered and not choice:
        return None  # a registry that names no systems: its entries serve whoever asks
    if not offered:
        rels = ", ".join(r for r in CHOSEN_RELS if resources.get(r)) or "no service"
        raise UpstreamUnavailable(
            f"backend {backend}: the configuration names {choice}, but the platform's "
            f"registry names no systems (it offers {rels} for whoever asks); remove "
            "system_id and system_type, or point the backend at the platform that has it",
            backend=backend,
        )
    listed = _describe(doc, offered)
    if not fitting:
        message = f"the platform's registry lists no system with {choice}; it lists {listed}"
    elif choice:
        message = (
            f"{choice} fits several systems of the platform's registry ({listed}); "
            "name one with system_id"
        )
    else:
        message = (
            f"the platform's registry lists several systems ({listed}); "
            "name the one to use with system_id or system_type in the backend's configuration"
        )
    raise UpstreamUnavailable(f"backend {backend}: {message}", backend=backend)


def choose(doc: Mapping[str, Any], choice: SystemChoice, backend: str) -> dict[str, Json]:
    """Each relation's entry of the chosen system, from a service-roots document.

    Raises :class:`~gateway.spi.UpstreamUnavailable` (503) naming the systems when the
    choice fits none, or several, of them.
    """
    raw = doc.get("resources")
    resources = {str(rel): entries(v) for rel, v in raw.items()} if isinstance(raw, dict) else {}
    picked = _pick(doc, resources, choice, backend)
    chosen: dict[str, Json] = {}
    for rel, found in resources.items():
        own = [e for e in found if picked is not None and _key(picked) in map(_key, systems_of(e))]
        shared = [e for e in found if not systems_of(e)]
        candidates = own + shared if picked is not None else found
        if candidates:
            chosen[rel] = candidates[0]
    return chosen
