"""Flex JSON → HAL: upstream links become gateway links, and nothing of the upstream leaks.

Every ``href`` in an upstream object (the object's own, and those of nested references
such as ``objectType``, ``account``, ``parent``) is an absolute URL of the Flex API,
possibly with matrix parameters. :func:`gateway_path` turns the path of such a URL
into the gateway path serving the same thing, without matrix parameters; an ``href``
with no gateway counterpart (users' workspaces, metadata definitions, ...) is dropped,
and any other string value that is an upstream URL is rewritten or dropped the same
way (dropped from lists too, never left as ``null``). Upstream URLs inside longer text
are rewritten in place, or replaced by ``[link removed]``. Fields that name where
Flex stores files (``fileInformation.currentLocation``: storage paths and hosts) are
left out. The object's own ``href`` becomes its ``self`` link; its ``objectType`` and
``account`` are linked as ``flex:object-type`` and ``flex:account``.

Flex writes some URLs of its own host with the scheme's default port spelt out
(``https://flex.example.org:443/images/icons/...`` on object types): the upstream's
URLs are recognised with and without it, so none passes as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, urlsplit, urlunsplit

from gateway.spi import Href, NotFound, hal

Json = dict[str, Any]

_N: Final = r"(\d+)"
_UUID: Final = r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
_FILE: Final = r"([A-Za-z0-9][A-Za-z0-9._\-]*)"
_ASSET_PARTS: Final = "metadata|annotations|keyframes|actions|members|children|comments|history"
_PATHS: Final = tuple(
    (re.compile(pattern), target)
    for pattern, target in (
        (rf"/api/assets/{_N}", "/assets/{0}"),
        (rf"/api/assets/{_N}/({_ASSET_PARTS})", "/assets/{0}/{1}"),
        (rf"/api/assets/{_N}/memberships", "/assets/{0}/parents"),
        (rf"/api/assets/{_N}/(annotations|keyframes|members|comments)/{_N}", "/assets/{0}/{1}/{2}"),
        (rf"/api/assets/{_N}/memberships/{_N}", "/assets/{0}/parents/{1}"),
        (rf"/api/assets/{_N}/keyframes/{_N}/image", "/assets/{0}/keyframes/{1}/image"),
        (rf"/api/collections/{_UUID}", "/collections/{0}"),
        (rf"/api/collections/{_UUID}/items", "/collections/{0}/items"),
        (rf"/api/(accounts|actions|events|groups|users)/{_N}", "/{0}/{1}"),
        (rf"/api/groups/{_N}/members", "/groups/{0}/members"),
        (rf"/api/eventHandlers/{_N}", "/event-handlers/{0}"),
        (rf"/api/objectTypes/{_N}", "/object-types/{0}"),
        (rf"/api/files/{_FILE}", "/files/{0}"),
    )
)
REFERENCE_RELS: Final = {"objectType": "flex:object-type", "account": "flex:account"}
STORAGE_FIELDS: Final = frozenset({"currentLocation", "storageLocation", "storagePath"})
"""Where Flex keeps a file: the storage layout, none of a client's business."""
REMOVED: Final = "[link removed]"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def is_asset_type(name: object) -> bool:
    """Whether an object type name (a collection item's ``type``) is one of Flex's assets.

    Flex names its asset types ``media-asset``, ``image-asset``, ``text-asset`` and
    ``group-asset``, and user-defined ones alike.
    """
    return isinstance(name, str) and name.endswith("-asset")


def _spellings(base: str) -> list[str]:
    """``base`` as Flex may write it: with the scheme's default port and without."""
    if not base:
        return []
    parts = urlsplit(base)
    default = _DEFAULT_PORTS.get(parts.scheme)
    if default is None or parts.hostname is None or parts.port not in (None, default):
        return [base]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    bare = urlunsplit((parts.scheme, host, parts.path, "", ""))
    return [f"{parts.scheme}://{host}:{default}{parts.path}", bare]


def seg(value: object) -> str:
    """``value`` as one escaped path segment."""
    return quote(str(value), safe="")


def number(raw: str, what: str) -> str:
    """A numeric id from a gateway path; 404 for anything else (no matrix parameters pass).

    ASCII digits only: ``str.isdigit`` holds for ``¹`` or ``٣`` too, which Flex takes for
    no number.
    """
    if not (raw.isascii() and raw.isdigit()):
        raise NotFound(f"there is no {what} {raw!r} here: {what} ids are numbers")
    return raw


def uuid_id(raw: str) -> str:
    """A collection id from a gateway path: a uuid; 404 for anything else."""
    if re.fullmatch(_UUID, raw) is None:
        raise NotFound(f"there is no collection {raw!r} here: collection ids are uuids")
    return raw


def file_name(raw: str) -> str:
    """A filestore name from a gateway path; 404 for anything else."""
    if re.fullmatch(_FILE, raw) is None:
        raise NotFound(f"there is no file {raw!r} here")
    return raw


def gateway_path(url: str) -> str | None:
    """The gateway path (relative to the backend root) of an upstream API URL, if any."""
    path = urlsplit(url).path
    bare = "/".join(part.split(";", 1)[0] for part in path.split("/"))
    for pattern, target in _PATHS:
        match = pattern.fullmatch(bare)
        if match is not None:
            return target.format(*match.groups())
    return None


class Rewriter:
    """Rewrites upstream URLs in Flex JSON into gateway URLs (or drops them)."""

    def __init__(self, href: Href, upstream_base: str) -> None:
        self.href = href
        self.upstream_base = upstream_base
        # An upstream URL runs to the next space or quote, trailing punctuation excluded.
        bases = "|".join(re.escape(b) for b in _spellings(upstream_base))
        url = f"(?:{bases})" + r"""[^\s"'<>]*?(?=[.,:!?)]*(?:[\s"'<>]|$))"""
        self._inline = re.compile(url) if bases else None

    def url(self, value: str) -> str | None:
        """The gateway URL for an upstream URL; None when the gateway has none."""
        path = gateway_path(value)
        return None if path is None else self.href(path)

    def value(self, value: Any) -> Any:
        """``value`` with every upstream URL in it rewritten; None for one to drop."""
        if isinstance(value, Mapping):
            out: Json = {}
            for key, item in value.items():
                if key in STORAGE_FIELDS:
                    continue
                if key == "href" and isinstance(item, str):
                    rewritten = self.url(item)
                else:
                    rewritten = self.value(item)
                if rewritten is not None or item is None:
                    out[key] = rewritten
            return out
        if isinstance(value, list):
            kept = [(item, self.value(item)) for item in value]
            return [new for old, new in kept if new is not None or old is None]
        if isinstance(value, str) and self._inline is not None:
            found = self._inline.fullmatch(value)
            if found is not None:
                return self.url(value)
            return self._inline.sub(lambda m: self.url(m.group(0)) or REMOVED, value)
        return value

    def resource(self, data: Mapping[str, Any], self_path: str | None = None) -> hal.Resource:
        """An upstream object as HAL: its href as ``self``, references as links."""
        own = data.get("href")
        props = self.value({k: v for k, v in data.items() if k != "href"})
        resource = hal.Resource(props)
        target = self.url(own) if isinstance(own, str) else None
        if target is None and self_path is not None:
            target = self.href(self_path)
        if target is not None:
            resource.link("self", target, title=str(data.get("name") or "") or None)
        for key, rel in REFERENCE_RELS.items():
            nested = props.get(key)
            if isinstance(nested, Mapping) and isinstance(nested.get("href"), str):
                resource.link(rel, nested["href"], title=str(nested.get("name") or "") or None)
        return resource
