"""Entity tags: the gateway's strong ETags and the ``If-None-Match`` / ``If-Match`` checks.

An ETag names one representation: a digest of its media type and its bytes, so the same
resource as ``application/json`` and as ``application/hal+json`` has two tags. The
headers' lists are read as RFC 9110 (section 8.8.3) spells them; a list that does not
parse matches nothing, so a malformed condition never fails the request with a 500:
``If-None-Match`` then gives the full answer, ``If-Match`` a 412.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

_TAG: Final = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')
"""One entity-tag of a list: an optional weak marker, the opaque tag, then a comma or the end."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed ``If-Match`` or ``If-None-Match`` value: ``*``, or a list of tags."""

    any: bool = False
    tags: tuple[tuple[bool, str], ...] = ()
    """``(weak, opaque)`` pairs, the opaque tag with its quotes."""


NOTHING: Final = Condition()


def etag_of(content_type: str, body: bytes) -> str:
    """The strong ETag of ``body`` sent as ``content_type`` (a media type, no parameters)."""
    digest = hashlib.blake2b(content_type.lower().encode() + b"\0" + body, digest_size=16).digest()
    return '"' + base64.urlsafe_b64encode(digest).rstrip(b"=").decode() + '"'


def parse(value: str | None) -> Condition:
    """The condition in a header's value; :data:`NOTHING` when absent or malformed."""
    if value is None:
        return NOTHING
    text = value.strip()
    if text == "*":
        return Condition(any=True)
    tags: list[tuple[bool, str]] = []
    position = 0
    while position < len(text):
        # Empty list elements ("a, , b") are allowed by the list syntax.
        if text[position] in ", \t":
            position += 1
            continue
        found = _TAG.match(text, position)
        if found is None:
            return NOTHING
        tags.append((found.group(1) is not None, '"' + found.group(2) + '"'))
        position = found.end()
    return Condition(tags=tuple(tags))


def _opaque(etag: str) -> tuple[bool, str]:
    return (True, etag[2:]) if etag.startswith("W/") else (False, etag)


def none_match(value: str | None, etag: str) -> bool:
    """Whether ``If-None-Match: value`` names ``etag`` (weak comparison): then a GET is 304."""
    condition = parse(value)
    if condition.any:
        return True
    _, opaque = _opaque(etag)
    return any(tag == opaque for _, tag in condition.tags)


def match(value: str | None, etags: Collection[str], *, exists: bool) -> bool:
    """Whether ``If-Match: value`` holds for a resource whose current tags are ``etags``.

    Strong comparison: a weak tag never matches. ``*`` holds when the resource exists.
    """
    condition = parse(value)
    if condition.any:
        return exists
    if not exists:
        return False
    current = {opaque for weak, opaque in map(_opaque, etags) if not weak}
    return any(not weak and tag in current for weak, tag in condition.tags)
