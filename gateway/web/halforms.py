"""HAL-FORMS (``application/prs.hal-forms+json``): the writes a resource takes, as templates.

One declaration serves both sides of a write. A :class:`Form` lists what a body holds: each
:class:`Property` with its name, input type, whether it is required and where its value
sits. The handler that takes the write checks and shapes the client's body with
:meth:`Form.accept` before anything goes upstream, and the same form, bound to a target,
is the template a client reads in ``_templates`` (rwcbook.github.io/hal-forms): what a
template promises is what its route checks. File forms (multipart, media ranges) are the
exception: their bytes stream through unchecked.

Templates go out only to a client that asks for them (``Accept:
application/prs.hal-forms+json``: the negotiation middleware binds :func:`offering` while
the handler runs, and answers are then of that type), and only those whose method the
caller may use: the app says who may use what (:data:`PERMITS`), so a reader gets none.
Only the document's top level carries templates, as the format has them.

Beyond the draft, three conventions, all in the gateway's documentation: a property's
``type`` is an HTML input type (``text``, ``textarea``, ``number``, ``checkbox``,
``file``...) whose JSON value is a string, a number or a boolean; a template whose
``contentType`` is a media range (``video/*``) takes the bytes of its one ``file``
property as the whole body, in the file's own type, named by ``Content-Disposition``;
and a refused body's problem lists every property at fault in ``invalid_params``
(``name``, ``reason``; RFC 9457's example extension).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from aiohttp import web

from gateway.web import jsoncodec
from gateway.web.errors import BadRequest

MEDIA_TYPE: Final = "application/prs.hal-forms+json"
JSON_BODY: Final = "application/json"
MULTIPART: Final = "multipart/form-data"
DEFAULT: Final = "default"
"""The key of the template a client uses when it is told no other (the draft's)."""

_STRING: Final = (str,)
_KINDS: Final = MappingProxyType(
    {
        "text": _STRING,
        "textarea": _STRING,
        "hidden": _STRING,
        "search": _STRING,
        "email": _STRING,
        "url": _STRING,
        "tel": _STRING,
        "date": _STRING,
        "datetime-local": _STRING,
        "number": (int, float),
        "checkbox": (bool,),
    }
)
"""The JSON types each input type's value takes in a JSON body."""
_JSON_NAMES: Final = MappingProxyType({"number": "a number", "checkbox": "true or false"})
_NOTHING: Final[Mapping[str, Any]] = MappingProxyType({})

Permits = Callable[[str], bool]
"""Whether the caller of the running request may use a method (the auth layer knows)."""
PERMITS: Final[web.AppKey[Permits]] = web.AppKey("halforms_permits")
_OFFERED: Final[ContextVar[Permits | None]] = ContextVar("halforms_offered", default=None)


@dataclass(frozen=True, slots=True)
class Property:
    """One member of a write body: a template property, and the check of its value.

    ``at`` is where the value sits, in the body the upstream gets and in the resource as
    shown (``("fields", "title")``); the ``name`` alone when empty. Clients may send it
    bare, by its name: :meth:`Form.accept` moves it to its place. ``options`` are the only
    values taken; ``regex`` must match the whole value (as HTML's ``pattern``). A ``file``
    property is the bytes of a multipart part or of the whole body, never JSON.
    """

    name: str
    type: str = "text"
    required: bool = False
    prompt: str = ""
    options: tuple[str, ...] = ()
    regex: str = ""
    at: tuple[str, ...] = ()

    @property
    def path(self) -> tuple[str, ...]:
        """Where the value sits in a body and in the resource."""
        return self.at or (self.name,)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not one this property takes; None when it is."""
        kinds = _KINDS.get(self.type)
        if kinds is None:  # a file: never in a JSON body
            return f"{self.name} is a file: send it as a part of a {MULTIPART} body"
        if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
            return f"{self.name} must be {_JSON_NAMES.get(self.type, 'a string')}"
        if self.options and value not in self.options:
            return f"{self.name} must be one of {', '.join(self.options)}"
        if self.regex and not re.fullmatch(self.regex, str(value)):
            return f"{self.name} must match {self.regex}"
        return None

    def to_dict(self, current: Any = None) -> dict[str, Any]:
        """The template property; ``current`` (a scalar) becomes its ``value``."""
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.prompt:
            out["prompt"] = self.prompt
        if self.required:
            out["required"] = True
        if self.regex:
            out["regex"] = self.regex
        if self.options:
            out["options"] = {
                "inline": list(self.options),
                "minItems": 1 if self.required else 0,
                "maxItems": 1,
            }
        if isinstance(current, bool):
            out["value"] = "true" if current else "false"
        elif isinstance(current, str | int | float):
            out["value"] = str(current)
        return out


@dataclass(frozen=True, slots=True)
class Form:
    """One write a resource takes: its method, its body's type and its properties."""

    method: str
    properties: tuple[Property, ...] = ()
    content_type: str = JSON_BODY
    title: str = ""

    def accept(self, body: Any, *, require: bool = True) -> dict[str, Any]:
        """``body`` checked against the form and shaped for the upstream: 400 when it does
        not fit, listing each property at fault (``invalid_params``).

        Bare values of properties that sit elsewhere are moved to their place (over one
        sent there as well); members the form does not declare pass as they are, for the
        upstream to judge. ``require=False`` leaves missing required properties to an
        upstream that refuses them itself, in its own words; what is sent is checked still.
        """
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        shaped = dict(body)
        invalid: list[dict[str, str]] = []
        for prop in self.properties:
            if prop.at and prop.name in shaped and prop.name not in prop.at[:1]:
                shaped = _placed(shaped, prop.at, shaped.pop(prop.name), prop.name)
            value = _found(shaped, prop.path)
            if value is None or (isinstance(value, str) and not value.strip() and prop.required):
                if prop.required and require:
                    invalid.append({"name": prop.name, "reason": f"{prop.name} is required"})
                if value is None or require:
                    continue
            reason = prop.problem(value)
            if reason is not None:
                invalid.append({"name": prop.name, "reason": reason})
        if invalid:
            raise BadRequest(
                "the body does not fit the resource's form: "
                + "; ".join(i["reason"] for i in invalid),
                extra={"invalid_params": invalid},
            )
        return shaped

    def bound(self, target: str, current: Mapping[str, Any] | None = None) -> Template:
        """This form as a template for ``target``, prefilled from ``current`` (the resource's
        properties, read when the template is sent) where they hold a value."""
        return Template(self, target, current if current is not None else _NOTHING)


@dataclass(frozen=True, slots=True)
class Template:
    """A form bound to the URL it is sent to, with the values the resource holds now."""

    form: Form
    target: str
    current: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The HAL-FORMS template object."""
        form = self.form
        out: dict[str, Any] = {"method": form.method}
        if form.title:
            out["title"] = form.title
        out["contentType"] = form.content_type
        out["target"] = self.target
        out["properties"] = [p.to_dict(_found(self.current, p.path)) for p in form.properties]
        return out


def _found(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in ``data``; None where the path leads nowhere."""
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _placed(data: dict[str, Any], path: tuple[str, ...], value: Any, name: str) -> dict[str, Any]:
    """``data`` with ``value`` at ``path``, the dicts on the way copied, never changed."""
    head, *rest = path
    if not rest:
        return {**data, head: value}
    inner = data.get(head, {})
    if not isinstance(inner, dict):
        raise BadRequest(
            f"{name} goes under {head}, which must then be a JSON object",
            extra={"invalid_params": [{"name": head, "reason": f"{head} must be an object"}]},
        )
    return {**data, head: _placed(inner, tuple(rest), value, name)}


@contextmanager
def offering(permits: Permits) -> Iterator[None]:
    """Send templates, those whose method ``permits`` allows, in the answers made within."""
    token = _OFFERED.set(permits)
    try:
        yield
    finally:
        _OFFERED.reset(token)


def offered() -> Permits | None:
    """Who may use which template in the running request; None when none are asked for."""
    return _OFFERED.get()


def nobody(method: str) -> bool:
    """The rule of an app that names none: no template for anybody."""
    return False


@contextmanager
def offered_in(app: web.Application, wanted: bool) -> Iterator[None]:
    """:func:`offering` under ``app``'s rule when ``wanted`` and not offered already."""
    if not wanted or offered() is not None:
        yield
        return
    with offering(app.get(PERMITS, nobody)):
        yield


def without_templates(body: bytes) -> bytes:
    """A HAL-FORMS answer's body as the plain HAL answer has it (the same bytes when it
    holds no templates): serialized alike, it differs only by the last member."""
    try:
        data = jsoncodec.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict) or "_templates" not in data:
        return body
    del data["_templates"]
    return jsoncodec.dumps(data)


def templates(bound: Mapping[str, Template]) -> dict[str, Any] | None:
    """The ``_templates`` member for the running request; None when none go out."""
    permits = offered()
    if permits is None:
        return None
    shown = {key: t.to_dict() for key, t in bound.items() if permits(t.form.method)}
    return shown or None
