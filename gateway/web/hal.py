"""Building HAL documents (draft-kelly-json-hal): links, embedded resources, CURIEs, paging.

A :class:`Resource` collects properties, ``_links`` and ``_embedded`` (and the HAL-FORMS
``_templates`` of the writes it takes, sent to clients that ask for them:
:mod:`gateway.web.halforms`) and turns into a plain dict with :meth:`Resource.to_dict`.
URI templates (RFC 6570) are expanded with ``uritemplate``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import uritemplate

from gateway.web import halforms

MEDIA_TYPE: Final = "application/hal+json"


@dataclass(frozen=True, slots=True)
class Link:
    """One HAL link object."""

    href: str
    templated: bool = False
    name: str | None = None
    title: str | None = None
    type: str | None = None
    profile: str | None = None
    deprecation: str | None = None
    hreflang: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The link as JSON, omitting unset members."""
        # Spelled out: every answer turns dozens of links into JSON.
        out: dict[str, Any] = {"href": self.href}
        if self.templated:
            out["templated"] = True
        if self.name is not None:
            out["name"] = self.name
        if self.title is not None:
            out["title"] = self.title
        if self.type is not None:
            out["type"] = self.type
        if self.profile is not None:
            out["profile"] = self.profile
        if self.deprecation is not None:
            out["deprecation"] = self.deprecation
        if self.hreflang is not None:
            out["hreflang"] = self.hreflang
        return out


class Resource:
    """A HAL resource under construction."""

    def __init__(self, properties: Mapping[str, Any] | None = None) -> None:
        self.properties: dict[str, Any] = dict(properties or {})
        self._links: dict[str, Link | list[Link]] = {}
        self._embedded: dict[str, Resource | list[Resource]] = {}
        self._templates: dict[str, halforms.Template] = {}

    def link(self, rel: str, href: str | Link, **attrs: Any) -> Resource:
        """Set the single link of ``rel`` (replacing one set before)."""
        self._links[rel] = href if isinstance(href, Link) else Link(href, **attrs)
        return self

    def add_link(self, rel: str, href: str | Link, **attrs: Any) -> Resource:
        """Append a link to the array of ``rel``; the relation is always an array."""
        link = href if isinstance(href, Link) else Link(href, **attrs)
        current = self._links.get(rel)
        if isinstance(current, list):
            current.append(link)
        else:
            self._links[rel] = [link] if current is None else [current, link]
        return self

    def links_array(self, rel: str) -> Resource:
        """Make ``rel`` an (possibly empty) array even before a link is added."""
        current = self._links.get(rel)
        if not isinstance(current, list):
            self._links[rel] = [] if current is None else [current]
        return self

    def curie(self, name: str, href_template: str) -> Resource:
        """Declare a CURIE: ``name:rel`` expands to ``href_template`` with ``{rel}``."""
        return self.add_link("curies", Link(href_template, templated=True, name=name))

    def embed(self, rel: str, resource: Resource | Iterable[Resource]) -> Resource:
        """Embed one resource, or an array of them, under ``rel``."""
        self._embedded[rel] = resource if isinstance(resource, Resource) else list(resource)
        return self

    def form(
        self,
        form: halforms.Form,
        target: str | None = None,
        *,
        key: str = halforms.DEFAULT,
        prefill: bool | Mapping[str, Any] = False,
    ) -> Resource:
        """Offer the write ``form`` as template ``key``, sent to ``target`` (``self`` when
        not given). ``prefill`` fills its properties with the values the resource holds
        (``True``), or with those of a mapping laid out as the body is."""
        where = target if target is not None else self.href("self")
        if where is None:
            raise ValueError(f"template {key!r} has no target: give one, or a self link first")
        current = self.properties if prefill is True else prefill or None
        self._templates[key] = form.bound(where, current)
        return self

    def href(self, rel: str) -> str | None:
        """The href of the (first) link of ``rel``, if any."""
        value = self._links.get(rel)
        if isinstance(value, list):
            return value[0].href if value else None
        return value.href if value is not None else None

    def has_link(self, rel: str) -> bool:
        """True when ``rel`` has at least one link."""
        return bool(self._links.get(rel))

    def to_dict(self, *, templates: bool = True) -> dict[str, Any]:
        """The resource as a JSON-ready dict, with its templates when the running request
        asked for them and ``templates`` allows (embedded resources carry none, as
        HAL-FORMS has it)."""
        out = self._plain()
        if not templates or not self._templates:
            return out
        if (shown := halforms.templates(self._templates)) is not None:
            out["_templates"] = shown
        return out

    def _plain(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self._links:
            out["_links"] = {
                rel: [link.to_dict() for link in value]
                if isinstance(value, list)
                else value.to_dict()
                for rel, value in self._links.items()
            }
        out.update(self.properties)
        if self._embedded:
            out["_embedded"] = {
                rel: [r._plain() for r in value] if isinstance(value, list) else value._plain()
                for rel, value in self._embedded.items()
            }
        return out


def expand(template: str, **variables: Any) -> str:
    """Expand an RFC 6570 URI template; unset variables vanish as the RFC says."""
    values = {k: v for k, v in variables.items() if v is not None}
    return str(uritemplate.expand(template, values))


def variables(template: str) -> frozenset[str]:
    """The variable names an RFC 6570 template uses."""
    return frozenset(uritemplate.variables(template))


@dataclass(frozen=True, slots=True)
class Page:
    """Where a page sits in a collection: 1-based ``number`` as in the ``page`` parameter."""

    number: int
    size: int
    total_elements: int

    @property
    def total_pages(self) -> int:
        """Pages in the collection; an empty collection has zero."""
        return math.ceil(self.total_elements / self.size) if self.size > 0 else 0

    def to_dict(self) -> dict[str, int]:
        """The ``page`` object: size, totalElements, totalPages, number."""
        return {
            "size": self.size,
            "totalElements": self.total_elements,
            "totalPages": self.total_pages,
            "number": self.number,
        }


def add_paging(resource: Resource, template: str, page: Page, **fixed: Any) -> Resource:
    """Set ``self``, ``first``, ``prev``, ``next``, ``last`` and the ``page`` object.

    ``template`` is the collection's URI template with ``page`` and ``per_page``
    variables; ``fixed`` are the other query values to keep on every link.
    """

    def at(number: int) -> str:
        return expand(template, page=number, per_page=page.size, **fixed)

    last = max(page.total_pages, 1)
    resource.link("self", at(page.number))
    resource.link("first", at(1))
    if page.number > 1:
        resource.link("prev", at(min(page.number - 1, last)))
    if page.number < page.total_pages:
        resource.link("next", at(page.number + 1))
    resource.link("last", at(last))
    resource.properties["page"] = page.to_dict()
    return resource
