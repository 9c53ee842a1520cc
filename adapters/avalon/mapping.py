"""Avalon JSON → HAL resources and unified assets, and Avalon's paging headers → HAL paging.

Upstream file-system paths (``file_location``, ``derivativeFile``) never reach
clients, nor do the repository URLs Avalon lists among a media object's
``fields.record_identifier`` (they name its internal Fedora host; other identifiers
stay). Stream URLs (``hls_url``, ``url``) are kept as they are: they lead to the media
server, not to the Avalon API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from math import isfinite
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from gateway.spi import (
    Href,
    UnifiedAsset,
    UnifiedCollection,
    UpstreamResponse,
    UpstreamUnavailable,
    hal,
)
from gateway.spi import path_segment as seg

HLS: Final = "application/vnd.apple.mpegurl"
HIDDEN: Final = frozenset({"file_location", "derivativeFile"})
PAGE_RELS: Final = ("first", "prev", "next", "last")
RESOURCE_TYPES: Final = (
    ("moving image", "video"),
    ("sound recording", "audio"),  # also "sound recording-musical" and "-nonmusical"
    ("still image", "image"),
)
"""Avalon's resource types (MODS ``typeOfResource``) by prefix → unified asset types."""
_MILLISECONDS: Final = re.compile(r"\d+(?:\.\d*)?")


def _visible(data: Mapping[str, Any], *skip: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in HIDDEN and k not in skip}


def derivative(data: Mapping[str, Any]) -> hal.Resource:
    """A derivative; its ``self`` is its HLS playlist, where it has one."""
    resource = hal.Resource(_visible(data))
    if data.get("hls_url"):
        resource.link("self", str(data["hls_url"]), type=HLS, title=str(data.get("label") or ""))
    return resource


def master_file(data: Mapping[str, Any], media_object_id: str, href: Href) -> hal.Resource:
    """A master file with its derivatives embedded and linked as ``avalon:derivative``."""
    mf_id = seg(data.get("id", ""))
    base = f"/media-objects/{seg(media_object_id)}/master-files/{mf_id}"
    resource = hal.Resource(_visible(data, "files"))
    resource.link("self", href(base))
    resource.link("avalon:media-object", href(f"/media-objects/{seg(media_object_id)}"))
    resource.link(
        "avalon:supplemental-files",
        href(base + "/supplemental-files{?page,per_page}"),
        templated=True,
    )
    derivatives = [d for d in data.get("files") or [] if isinstance(d, Mapping)]
    resource.links_array("avalon:derivative")
    for item in derivatives:
        if item.get("hls_url"):
            resource.add_link(
                "avalon:derivative",
                str(item["hls_url"]),
                type=HLS,
                name=str(item.get("id", "")),
                title=str(item.get("label") or ""),
            )
    resource.embed("avalon:derivative", [derivative(d) for d in derivatives])
    return resource


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and urlsplit(value.strip()).scheme.lower() in ("http", "https")


def _fields(value: Any) -> Any:
    """``fields`` without the repository URLs among its record identifiers."""
    if not isinstance(value, Mapping) or "record_identifier" not in value:
        return value
    identifiers = value["record_identifier"]
    if isinstance(identifiers, list):
        kept: Any = [i for i in identifiers if not _is_url(i)]
    else:
        kept = None if _is_url(identifiers) else identifiers
    return {**value, "record_identifier": kept}


def media_object(data: Mapping[str, Any], href: Href) -> hal.Resource:
    """A media object with its master files embedded."""
    mo_id = str(data.get("id", ""))
    base = f"/media-objects/{seg(mo_id)}"
    properties = _visible(data, "files")
    if "fields" in properties:
        properties["fields"] = _fields(properties["fields"])
    resource = hal.Resource(properties)
    resource.link("self", href(base))
    if data.get("collection_id"):
        resource.link(
            "avalon:collection",
            href(f"/collections/{seg(data['collection_id'])}"),
            title=str(data.get("collection") or ""),
        )
    resource.link(
        "avalon:supplemental-files",
        href(base + "/supplemental-files{?page,per_page}"),
        templated=True,
    )
    if "files" in data:  # users who cannot edit do not get master files
        files = [f for f in data.get("files") or [] if isinstance(f, Mapping)]
        resource.links_array("avalon:master-file")
        for item in files:
            resource.add_link(
                "avalon:master-file",
                href(f"{base}/master-files/{seg(item.get('id', ''))}"),
                name=str(item.get("id", "")),
                title=str(item.get("label") or ""),
            )
        resource.embed("avalon:master-file", [master_file(f, mo_id, href) for f in files])
    return resource


def collection(data: Mapping[str, Any], href: Href) -> hal.Resource:
    """An admin collection, linking its items."""
    base = f"/collections/{seg(data.get('id', ''))}"
    resource = hal.Resource(dict(data))
    resource.link("self", href(base), title=str(data.get("name") or ""))
    resource.link("avalon:items", href(base + "/items{?page,per_page}"), templated=True)
    resource.link("avalon:collections", href("/collections"))
    return resource


def supplemental_file(data: Mapping[str, Any], parent: str, href: Href) -> hal.Resource:
    """A supplemental file's metadata, linking its bytes; ``parent`` is its owner's path."""
    base = f"{parent}/supplemental-files/{seg(data.get('id', ''))}"
    resource = hal.Resource(_visible(data))
    resource.link("self", href(base), title=str(data.get("label") or ""))
    # Avalon's JSON does not say the file's type (supplemental_file.rb:69-86).
    resource.link("avalon:content", href(base + "/content"))
    resource.link("up", href(parent + "/supplemental-files"))
    return resource


def _text(value: Any) -> str | None:
    """``value`` as text; None for no value or an empty one."""
    return str(value) if value not in (None, "") else None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def asset_type(data: Mapping[str, Any]) -> str:
    """The unified type of a media object: its resource type, else its format's family."""
    fields = data.get("fields")
    fields = fields if isinstance(fields, Mapping) else {}
    resource = str(_first(fields.get("avalon_resource_type")) or "").strip().lower()
    for prefix, kind in RESOURCE_TYPES:
        if resource.startswith(prefix):
            return kind
    family = str(_first(fields.get("format")) or "").partition("/")[0].lower()
    return {"video": "video", "audio": "audio", "image": "image"}.get(family, "other")


def duration_ms(data: Mapping[str, Any]) -> int | None:
    """A media object's ``fields.duration``: milliseconds, as text ("6315" or "6315.0").

    Avalon sums its master files' durations, which are milliseconds; some installations
    write them with a decimal part, which counts too. Anything else is no duration.
    """
    fields = data.get("fields")
    raw = fields.get("duration") if isinstance(fields, Mapping) else None
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return round(raw) if isfinite(raw) and raw >= 0 else None
    if isinstance(raw, str) and _MILLISECONDS.fullmatch(raw.strip()):
        return round(float(raw))
    return None


def _playback(data: Mapping[str, Any]) -> str | None:
    """The first derivative's HLS playlist (only editors see master files)."""
    for master in data.get("files") or []:
        for item in (master.get("files") or []) if isinstance(master, Mapping) else []:
            if isinstance(item, Mapping) and _is_url(item.get("hls_url")):
                return str(item["hls_url"])
    return None


def unified_asset(data: Mapping[str, Any]) -> UnifiedAsset:
    """A media object as a unified asset.

    Avalon's JSON carries no creation or change time (``date_issued`` is a publication
    date such as "2020", not a timestamp), so ``created`` and ``modified`` stay empty.
    """
    mo_id = str(data.get("id", ""))
    fields = data.get("fields")
    title = data.get("title") or (fields.get("title") if isinstance(fields, Mapping) else None)
    collection_id = _text(data.get("collection_id"))
    return UnifiedAsset(
        native_id=mo_id,
        title=str(title or mo_id),
        type=asset_type(data),
        duration_ms=duration_ms(data),
        description=_text(data.get("summary")),
        native=f"/media-objects/{seg(mo_id)}",
        playback=_playback(data),
        collections=(collection_id,) if collection_id else (),
    )


def unified_collection(data: Mapping[str, Any]) -> UnifiedCollection:
    """An admin collection as a unified collection; its count is ``object_count.total``."""
    collection_id = str(data.get("id", ""))
    counts = data.get("object_count")
    total = counts.get("total") if isinstance(counts, Mapping) else None
    return UnifiedCollection(
        native_id=collection_id,
        title=str(data.get("name") or collection_id),
        description=_text(data.get("description")),
        native=f"/collections/{seg(collection_id)}",
        item_count=total if isinstance(total, int) and not isinstance(total, bool) else None,
    )


def total_count(response: UpstreamResponse, default: int) -> int:
    """Avalon's ``Total`` header (``default`` when absent); 503 when it is no number."""
    try:
        return int(response.headers.get("Total", default))
    except ValueError as exc:
        raise UpstreamUnavailable(
            "the backend answered with malformed paging headers", backend=response.backend
        ) from exc


def upstream_page_number(url: str) -> int | None:
    """The ``page`` query value of an upstream paging link."""
    values = parse_qs(urlsplit(url).query).get("page")
    try:
        return max(int(values[0]), 1) if values else 1
    except ValueError:
        return None


def paging(
    resource: hal.Resource,
    response: UpstreamResponse,
    template: str,
    page: int,
    per_page: int,
    count: int,
) -> hal.Resource:
    """HAL paging from Avalon's ``Total``/``Per-Page`` headers and its ``Link`` header.

    The upstream's own ``first``/``prev``/``next``/``last`` links decide which paging
    links exist; their page numbers are carried over to gateway URLs.
    """
    try:
        total = int(response.headers.get("Total", count))
        size = int(response.headers.get("Per-Page", per_page))
    except ValueError as exc:
        raise UpstreamUnavailable(
            "the backend answered with malformed paging headers", backend=response.backend
        ) from exc
    current = hal.Page(page, size, total)
    resource.link("self", hal.expand(template, page=page, per_page=size))
    for rel in PAGE_RELS:
        target = response.links.get(rel)
        number = upstream_page_number(target) if target else None
        if number is not None:
            resource.link(rel, hal.expand(template, page=number, per_page=size))
    # The API omits first/last on a single page; a client still wants them.
    for rel, number in (("first", 1), ("last", max(current.total_pages, 1))):
        if not resource.has_link(rel):
            resource.link(rel, hal.expand(template, page=number, per_page=size))
    resource.properties["page"] = current.to_dict()
    return resource
