"""Metadata of the Flex simulator's assets: GET as JSON, PUT as an XML document (or JSON).

``GET /api/assets/{id}/metadata`` answers ``{"definition": {id, name, displayName,
href}, "instance": ...}``. The instance is the XML metadata document as JSON:
``{root-element-name: node}``, where a node without attributes or child elements is
its text, and any other node an object of ``"@attribute"`` values, child nodes by
element name (a list when the name repeats) and ``"#text"`` for text beside them.

Elements become JSON with the same function the adapter uses
(:func:`adapters.flex.metadata.node`), so both ends read a document alike. ``PUT``
takes that XML document (``application/xml`` or ``text/xml``), as the reference says,
or, as some clients send, JSON: ``{"instance": ...}`` or the instance itself. XML is
parsed with defusedxml: documents with a DTD (and so entity declarations or
external entities) are refused with 400.
"""

from __future__ import annotations

from typing import Any, cast
from xml.etree.ElementTree import Element, ParseError

from aiohttp import web
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree

from adapters.flex.metadata import XML_TYPES, node
from adapters.flex.simulator.plumbing import Call, FlexError, Json, json_response
from adapters.flex.simulator.state import ref, state


def parse_xml(body: bytes) -> Json:
    """An XML metadata document as its JSON instance; 400 when it is refused or broken."""
    try:
        root = cast(Element, SafeTree.fromstring(body, forbid_dtd=True))
    except DefusedXmlException:
        raise FlexError(400, "Metadata XML must not contain a document type declaration") from None
    except ParseError as exc:
        raise FlexError(400, f"Invalid metadata XML: {exc}") from None
    return {root.tag: node(root)}


def _checked_instance(body: Any) -> Json:
    instance = body.get("instance", body) if isinstance(body, dict) else body
    if not isinstance(instance, dict) or len(instance) != 1:
        raise FlexError(400, "A metadata instance must be an object with one root element")
    return instance


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
    sim = state(call)
    asset = sim.get("assets", call.int_param("id", "Asset"))
    if call.request.content_type in XML_TYPES:
        instance = parse_xml(await call.request.read())
    else:
        instance = _checked_instance(await call.body())
    sim.metadata[asset["id"]] = instance
    sim.touch(asset)
    sim.record_event("Metadata Updated", call.user, "assets", asset)
    return _answer(call, asset)
