"""Listing filters of the Flex simulator: the matrix parameters and a small FQL.

``;id=..`` (repeatable) picks records by id; ``;name=`` matches part of the name,
case-insensitively, or all of it with ``;exactNameMatch=true``; ``;enabled=`` and
``;deleted=`` filter on the flags (deleted records are left out unless asked for);
``;createdFrom=``/``;createdTo=`` take days such as ``29 Jan 2024``; ``;fql=`` takes
clauses ``field = value``, ``field != value`` or ``field ~ value`` (contains) joined by
``AND``, values bare or in double quotes, compared case-insensitively as text;
``;sortBy=`` (id, name, displayName, created, lastModified) and ``;sort=`` (asc, desc)
order the result, by id ascending by default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Final

from multidict import MultiDict

from adapters.flex.simulator.plumbing import FlexError, Json, flag
from adapters.flex.simulator.state import parse_day

SORT_KEYS: Final = {
    "id": "id",
    "name": "name",
    "displayName": "displayName",
    "created": "_created",
    "lastModified": "_modified",
}
_CLAUSE: Final = re.compile(r'([A-Za-z][A-Za-z0-9_]*)\s*(!=|=|~)\s*("(?:[^"\\]|\\.)*"|[^\s"]+)')
_AND: Final = re.compile(r"\s+AND\s+", re.IGNORECASE)

Predicate = Callable[[Json], bool]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _clause(field: str, operator: str, wanted: str) -> Predicate:
    wanted = wanted.lower()

    def test(record: Json) -> bool:
        actual = _text(record.get(field)).lower()
        if operator == "~":
            return wanted in actual
        return (actual == wanted) is (operator == "=")

    return test


def fql(query: str, fields: set[str]) -> Predicate:
    """A predicate for an FQL query over records with ``fields``; 400 when it does not parse."""
    clauses: list[Predicate] = []
    for part in _AND.split(query.strip()):
        match = _CLAUSE.fullmatch(part.strip())
        if match is None:
            raise FlexError(400, f"Invalid FQL query near '{part.strip()[:60]}'")
        field, operator, raw = match.groups()
        if field not in fields:
            raise FlexError(400, f"Invalid FQL query: unknown field '{field}'")
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        clauses.append(_clause(field, operator, raw))
    return lambda record: all(test(record) for test in clauses)


def public_fields(records: Iterable[Json]) -> set[str]:
    """The field names FQL may use: every public key of the records."""
    return {key for record in records for key in record if not key.startswith("_")}


def select(
    records: Iterable[Json],
    matrix: MultiDict[str],
    *,
    extra: Predicate | None = None,
) -> list[Json]:
    """The records the matrix parameters pick, in the order they ask for."""
    items = list(records)
    fields = public_fields(items)
    tests: list[Predicate] = [extra] if extra is not None else []
    ids = matrix.getall("id", [])
    if ids:
        tests.append(lambda r: str(r["id"]) in ids)
    name = matrix.get("name")
    if name is not None:
        if flag(matrix, "exactNameMatch"):
            tests.append(lambda r: r.get("name") == name)
        else:
            tests.append(lambda r: name.lower() in _text(r.get("name")).lower())
    enabled = flag(matrix, "enabled")
    if enabled is not None:
        tests.append(lambda r: r.get("enabled", True) is enabled)
    deleted = flag(matrix, "deleted")
    if deleted is None and not ids:
        deleted = False  # deleted records stay out of lists unless asked for (or named)
    if deleted is not None:
        tests.append(lambda r: r.get("deleted", False) is deleted)
    if "createdFrom" in matrix:
        start = parse_day(matrix["createdFrom"], "createdFrom")
        tests.append(lambda r: r["_created"] >= start)
    if "createdTo" in matrix:
        end = parse_day(matrix["createdTo"], "createdTo") + timedelta(days=1)
        tests.append(lambda r: r["_created"] < end)
    if matrix.get("fql"):
        tests.append(fql(matrix["fql"], fields))
    chosen = [r for r in items if all(test(r) for test in tests)]
    return sort(chosen, matrix)


def sort(records: list[Json], matrix: MultiDict[str]) -> list[Json]:
    """``records`` ordered by ``;sortBy`` and ``;sort``; 400 for values Flex does not know."""
    sort_by = matrix.get("sortBy", "id")
    direction = matrix.get("sort", "asc").lower()
    if sort_by not in SORT_KEYS:
        raise FlexError(400, f"Invalid sortBy '{sort_by}': one of {', '.join(SORT_KEYS)}")
    if direction not in ("asc", "desc"):
        raise FlexError(400, f"Invalid sort '{direction}': asc or desc")
    key = SORT_KEYS[sort_by]

    def order(record: Json) -> tuple[Any, Any]:
        value = record.get(key)
        if value is None or isinstance(value, str):
            value = (value or "").lower()
        return value, record["id"]

    return sorted(records, key=order, reverse=direction == "desc")
