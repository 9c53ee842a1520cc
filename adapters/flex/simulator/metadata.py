"""Metadata of the Flex simulator's assets: GET as JSON, PUT as JSON (or an XML document).

``GET /api/assets/{id}/metadata`` answers ``{"definition": {id, name, displayName,
href}, "instance": ...}``. ``PUT`` takes the instance itself as JSON in Flex's media type
(``application/vnd.nativ.mio.v1+json``), as the working Flex clients send it, or an XML
metadata document in Flex's XML media type (``application/vnd.nativ.mio.v1+xml``), as
the reference describes it; a body labelled anything else, plain ``application/xml``
included, is refused with 415 before Flex reads it. The answer is the updated metadata.

An XML document is stored as its JSON instance, ``{root-element-name: node}``: a node
without attributes or child elements is its text, any other node an object of
``"@attribute"`` values, child nodes by element name (a list when the name repeats) and
``"#text"`` for text beside them. XML is parsed with defusedxml: a document with a DTD
(and so entity declarations or external entities) is refused with 400.
"""

from __future__ import annotations

from typing import Any, cast
from xml.etree.ElementTree import Element, ParseError

from aiohttp import web
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree

from adapters.flex.simulator.plumbing import (
    MEDIA_TYPE,
    XML_MEDIA_TYPE,
    Call,
    FlexError,
    Json,
    json_response,
)
from adapters.flex.simulator.state import ref, state


def _node(element: Element) -> Any:
    if len(element) == 0 and not element.attrib:
        return element.text or ""
    by_tag: dict[str, list[Any]] = {}
    for child in element:
        by_tag.setdefault(child.tag, []).append(_node(child))
    out: Json = {f"@{name}": value for name, value in element.attrib.items()}
    if (element.text or "").strip():
        out["#text"] = (element.text or "").strip()
    out.update((tag, found[0] if len(found) == 1 else found) for tag, found in by_tag.items())
    return out


def parse_xml(body: bytes) -> Json:
    """An XML metadata document as its JSON instance; 400 when it is refused or broken."""
    try:
        root = cast(Element, SafeTree.fromstring(body, forbid_dtd=True))
    except DefusedXmlException:
        raise FlexError(400, "Metadata XML must not contain a document type declaration") from None
    except ParseError as exc:
        raise FlexError(400, f"Invalid metadata XML: {exc}") from None
    return {root.tag: _node(root)}


def _answer(call: Call, asset: Json) -> web.Response:
    definition = ref(call, "metadataDefinitions", asset.get("_definition"))
    if definition is not None:
        record = state(call).get("metadataDefinitions", asset["_definition"])
        definition["displayName"] = record["displayName"]
    instance = state(call).metadata.get(asset["id"])
    return json_response({"definition": definition, "instance": instance})


async def show(call: Call) -> web.StreamResponse:
    """``GET /assets/{id}/metadata``: the instance and its definition."""
    asset = state(call).get("assets", call.int_param("id", "Asset"))
    return _answer(call, asset)


async def update(call: Call) -> web.StreamResponse:
    """``PUT /assets/{id}/metadata``: replace the instance; 200 with the updated metadata."""
    call.check_type(MEDIA_TYPE, XML_MEDIA_TYPE)
    sim = state(call)
    asset = sim.get("assets", call.int_param("id", "Asset"))
    if call.request.content_type == XML_MEDIA_TYPE:
        instance = parse_xml(await call.request.read())
    else:
        instance = await call.object_body()
    sim.metadata[asset["id"]] = instance
    sim.touch(asset)
    sim.record_event("Metadata Updated", call.user, "assets", asset)
    return _answer(call, asset)
