"""HAL-FORMS in the suite: read a resource's templates, and send a write built from one.

:func:`submit` knows nothing of the resource but its template: the method, the target, the
content type and the property names. A write it sends that succeeds shows the template
told the truth.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.support.navigator import HAL, HAL_FORMS, Doc, Navigator

File = tuple[str, bytes, str]
"""A file to upload: its name, its bytes and its media type."""


async def with_forms(nav: Navigator, href: str) -> Doc:
    """The resource at ``href`` as HAL-FORMS (``Accept`` preferring it, as ketting sends)."""
    accept = f"{HAL_FORMS}, {HAL};q=0.9"
    response, doc = await nav.request("GET", href, headers={"Accept": accept})
    assert response.status == 200, (href, doc)
    assert response.content_type == HAL_FORMS
    assert "Accept" in response.headers.get("Vary", "")
    assert isinstance(doc, dict)
    return doc


async def template(nav: Navigator, href: str, key: str = "default") -> tuple[Doc, Doc]:
    """The template ``key`` of the resource at ``href``, and the resource."""
    doc = await with_forms(nav, href)
    assert key in doc.get("_templates", {}), (href, sorted(doc.get("_templates", {})))
    found = doc["_templates"][key]
    assert isinstance(found, dict)
    return found, doc


def properties(form: Doc) -> dict[str, Doc]:
    """A template's properties by name."""
    return {p["name"]: p for p in form.get("properties", [])}


def required(form: Doc) -> set[str]:
    """The names of a template's required properties."""
    return {name for name, p in properties(form).items() if p.get("required")}


def _covers(media_range: str, media_type: str) -> bool:
    kind, _, sub = media_range.partition("/")
    return (sub == "*" and media_type.startswith(kind + "/")) or media_range == media_type


async def submit(
    nav: Navigator,
    form: Doc,
    values: dict[str, Any] | None = None,
    files: dict[str, File] | None = None,
) -> tuple[aiohttp.ClientResponse, Any]:
    """Send what ``form`` describes, filled with ``values`` and ``files`` by property name."""
    values, files = values or {}, files or {}
    declared = properties(form)
    assert set(values) | set(files) <= set(declared), "only the template's properties"
    assert required(form) <= set(values) | set(files), "every required property"
    for name in files:
        assert declared[name].get("type") == "file", f"{name} is no file property"
    content_type = form.get("contentType") or "application/json"
    kwargs: dict[str, Any] = {"headers": {"Accept": HAL}}
    if not declared:
        pass  # a body-less write (DELETE, a completion)
    elif content_type == "application/json":
        kwargs["json"] = values
    elif content_type == "multipart/form-data":
        data = aiohttp.FormData()
        for name, value in values.items():
            data.add_field(name, value)
        for name, (filename, content, media_type) in files.items():
            data.add_field(name, content, filename=filename, content_type=media_type)
        kwargs["data"] = data
    else:  # a media range: the one file is the body, in its own type
        [(filename, content, media_type)] = files.values()
        assert _covers(content_type, media_type), (content_type, media_type)
        kwargs["data"] = content
        kwargs["headers"] |= {
            "Content-Type": media_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
        }
    return await nav.request(form["method"], form["target"], **kwargs)
