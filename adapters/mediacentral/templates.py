"""Reading the variables back out of a URL expanded from an RFC 6570 URI template.

The platform hands out templates (``.../locations/items/{id}{?offset,limit}``) and
then links URLs expanded from them (``.../locations/items/news?offset=25&limit=25``).
:class:`TemplateMatcher` recognises such a URL and returns the values it was expanded
with, so the gateway can say the same thing with its own route.

It understands the forms the CTMS services use: simple ``{var}`` expressions in the
path, ``{?a,b}`` and ``{&a,b}`` query expressions, and ``name={var}`` query pairs
(the simple-search template ``?search={search}{&offset,limit,sort}``). A template
with any other operator in its path never matches; the URL then goes through the
gateway unrecognised, which is always correct, only less tidy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, unquote

_TOKENS: Final = re.compile(r"\{([^{}]*)\}|([^{}]+)")
_VALUE: Final = "([^/?#]+)"


def _names(expression: str) -> list[str]:
    """Variable names of an expression body, without explode or prefix modifiers."""
    return [name.split(":", 1)[0].rstrip("*") for name in expression.split(",") if name]


def _pairs(literal: str) -> list[tuple[str, str]]:
    pieces = [p for p in literal.split("&") if p]
    return [(unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in pieces)]


@dataclass(frozen=True, slots=True)
class TemplateMatcher:
    """A parsed template (path and query, no origin) that matches expanded URLs."""

    template: str
    path: re.Pattern[str] | None
    path_variables: tuple[str, ...]
    query_keys: tuple[tuple[str, str], ...]
    """(query key, variable) in template order; the key is the variable for ``{?..}``."""
    fixed_query: tuple[tuple[str, str], ...]

    @property
    def query_variables(self) -> tuple[str, ...]:
        """Variables expanded into the query, in template order."""
        return tuple(variable for _, variable in self.query_keys)

    @classmethod
    def parse(cls, template: str) -> TemplateMatcher:
        """Parse ``template`` (an absolute path, possibly with a query part)."""
        pattern: list[str] = []
        path_variables: list[str] = []
        query_keys: list[tuple[str, str]] = []
        fixed: list[tuple[str, str]] = []
        supported = True
        in_query = False
        pending = ""  # query literal text not yet assigned
        for match in _TOKENS.finditer(template):
            expression, literal = match.group(1), match.group(2)
            if literal is not None:
                if not in_query and "?" in literal:
                    before, _, after = literal.partition("?")
                    pattern.append(re.escape(before))
                    in_query, pending = True, after
                elif in_query:
                    pending += literal
                else:
                    pattern.append(re.escape(literal))
                continue
            operator = expression[:1] if expression[:1] in "?&+#./;=,!@|" else ""
            names = _names(expression[len(operator) :])
            if operator in ("?", "&"):
                in_query = True
                fixed += _pairs(pending)
                pending = ""
                query_keys += [(name, name) for name in names]
            elif in_query and not operator and len(names) == 1 and pending.endswith("="):
                head, _, key = pending[:-1].rpartition("&")
                fixed += _pairs(head)
                pending = ""
                query_keys.append((unquote(key), names[0]))
            elif not in_query and not operator and len(names) == 1:
                pattern.append(_VALUE)
                path_variables.append(names[0])
            else:
                supported = False
        fixed += _pairs(pending)
        path = re.compile("".join(pattern)) if supported else None
        return cls(template, path, tuple(path_variables), tuple(query_keys), tuple(fixed))

    def match(self, path: str, query: str = "") -> dict[str, str] | None:
        """The variables ``path?query`` was expanded with, or None if it is not from here."""
        if self.path is None:
            return None
        found = self.path.fullmatch(path)
        if found is None:
            return None
        values = {name: unquote(found.group(i + 1)) for i, name in enumerate(self.path_variables)}
        keys = dict(self.query_keys)
        missing = set(self.fixed_query)
        for key, value in parse_qsl(query, keep_blank_values=True):
            if (key, value) in missing:
                missing.discard((key, value))
            elif key in keys and keys[key] not in values:
                values[keys[key]] = value
            else:
                return None  # a parameter the template cannot express
        return None if missing else values
