"""Declarative config fields: typed values, environment references and secrets.

A table of the TOML file is checked against a tuple of :class:`Field` objects. Every
problem is collected with its key path (``backends.avalon.url: ...``) rather than
stopping at the first, so an operator sees the whole list at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit


class Secret:
    """A secret config value: never shown by ``repr``, ``str`` or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself; call only where it is sent to its upstream."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def plain(value: Any) -> str:
    """A config value as text, a secret revealed; empty when unset or not a string.

    For code that builds an upstream login from config values, and for checks of
    whether a credential is given at all (an empty ``${VAR:-}`` is not).
    """
    if isinstance(value, Secret):
        return value.reveal()
    return value if isinstance(value, str) else ""


Check = Callable[[Any], str | None]
"""A check returns a problem message, or None when the value is fine."""


@dataclass(frozen=True, slots=True)
class Field:
    """One key of a config table."""

    name: str
    type: type
    doc: str
    required: bool = False
    default: Any = None
    secret: bool = False
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    check: Check | None = None


_ENV_REF: Final = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(
    value: str, path: str, problems: MutableSequence[str], env: Mapping[str, str] | None = None
) -> str:
    """Replace ``${NAME}`` and ``${NAME:-default}`` with the environment; ``$$`` is a dollar."""
    environ = os.environ if env is None else env

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        problems.append(f"{path}: environment variable {name} is not set and has no default")
        return ""

    return _ENV_REF.sub(substitute, value)


def http_url(value: Any) -> str | None:
    """Check that ``value`` is an absolute http(s) URL."""
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http(s) URL"
    return None


_TYPE_NAMES: Final = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}


def _coerce(field: Field, value: Any) -> tuple[Any, str | None]:
    """Convert ``value`` to the field's type; strings from the environment are parsed."""
    want = field.type
    if want is bool:
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true", None
    elif want is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value), None
    elif want is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value), None
        if isinstance(value, str):
            try:
                return float(value), None
            except ValueError:
                pass
    elif want is str:
        if isinstance(value, str):
            return value, None
    elif want is list:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value), None
        return None, "must be a list of strings"
    shown = "(hidden)" if field.secret else repr(value)
    return None, f"must be {_TYPE_NAMES.get(want, want.__name__)}, got {shown}"


def _check_value(field: Field, value: Any) -> str | None:
    if field.choices and value not in field.choices:
        return "must be one of " + ", ".join(repr(c) for c in field.choices)
    if field.minimum is not None and value < field.minimum:
        return f"must be at least {field.minimum:g}"
    if field.maximum is not None and value > field.maximum:
        return f"must be at most {field.maximum:g}"
    if field.check is not None:
        return field.check(value)
    return None


def read_table(
    table: Mapping[str, Any],
    fields: Sequence[Field],
    path: str,
    problems: MutableSequence[str],
    *,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Check ``table`` against ``fields``; return the values, defaults filled in.

    Unknown keys, missing required keys, wrong types and failed checks are appended
    to ``problems`` as ``<path>.<key>: <message>``. Secret fields come back as
    :class:`Secret`.
    """
    known = {f.name: f for f in fields}
    values: dict[str, Any] = {}
    for key in table:
        if key not in known:
            problems.append(f"{path}.{key}: unknown key")
    for field in fields:
        key_path = f"{path}.{field.name}"
        if field.name not in table:
            if field.required:
                problems.append(f"{key_path}: required")
            values[field.name] = field.default
            continue
        raw = table[field.name]
        if isinstance(raw, str):
            raw = expand_env(raw, key_path, problems, env)
        value, problem = _coerce(field, raw)
        if problem is None:
            problem = _check_value(field, value)
        if problem is not None:
            problems.append(f"{key_path}: {problem}")
            # Callers build their tables from the values before the problems are raised.
            values[field.name] = field.default
            continue
        values[field.name] = Secret(value) if field.secret and value is not None else value
    return values
