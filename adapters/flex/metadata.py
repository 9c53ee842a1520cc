"""Flex metadata between its two forms: the XML document and its JSON instance.

Flex answers metadata as JSON, ``{"definition": ..., "instance": ...}``, and the
adapter writes it as the instance in JSON (:mod:`adapters.flex.assets`); gateway
clients may read and write it as an XML document too. The instance is
``{root-element-name: node}``: a node without attributes or child elements is its
text; any other node is an object of ``"@attribute"`` values, child nodes by element
name (a list when the name repeats) and ``"#text"`` for text beside them.
:func:`to_xml` turns an instance into the document; :func:`to_json` reads a document
into an instance. The two are inverses for documents whose repeated elements are not
interleaved with others (order across different element names is not kept), and for
instances whose values are strings.

Documents from clients are parsed with defusedxml and nothing else: a document type
declaration (which is where entity expansion, "billion laughs", and external entities
live) is refused with 400, as are entity and external references without one.

What the instance cannot carry is refused with 400 before anything is sent, since Flex
would store it and every later read of ``metadata.xml`` would fail: namespaced
elements or attributes, names outside ``[A-Za-z_][A-Za-z0-9_.-]*``, mixed content
(text after a child element, which the instance has no place for), and elements nested
deeper than :data:`MAX_DEPTH` (reading, converting and writing a document recurse per
level; the parser itself does not, so without the limit a deep document overflowed the
stack later, as a 500).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, cast
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree

from gateway.spi import BadRequest, MalformedBody

XML_TYPE: Final = "application/xml"
XML_TYPES: Final = (XML_TYPE, "text/xml")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
MAX_DEPTH: Final = 100
"""Deepest element nesting taken in a metadata document (the root is level 1)."""


def parse(body: bytes) -> Element:
    """A client's XML document, parsed safely; 400 for refused or broken documents."""
    if not body.strip():
        raise MalformedBody("the request body is empty; an XML metadata document is expected")
    try:
        root = cast(
            Element,
            SafeTree.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True),
        )
    except DefusedXmlException:
        # DTDForbidden: entity declarations and external entities can only stand in a
        # DTD, refused as soon as the parser meets one. forbid_entities and forbid_external
        # stay on in case a later defusedxml or parser lets a DTD through.
        raise BadRequest(
            "XML documents with a document type declaration are refused: DTDs carry entity "
            "declarations (entity expansion) and external entities"
        ) from None
    except ElementTree.ParseError as exc:
        raise MalformedBody(f"the request body is not well-formed XML: {exc}") from None
    _check(root)
    return root


def _check(root: Element) -> None:
    """400 for what the JSON instance cannot hold (see the module's docstring).

    Walks the tree with a stack of its own, not by recursion, so that the depth check is
    reached however deep the document is.
    """
    stack: list[tuple[Element, str, int]] = [(root, "", 1)]
    while stack:
        element, where, depth = stack.pop()
        here = f"{where}/{element.tag}"
        if depth > MAX_DEPTH:
            raise BadRequest(
                f"the XML document is nested more than {MAX_DEPTH} elements deep "
                f"(below {where[:200]}...)"
            )
        if element.tag.startswith("{") or any(name.startswith("{") for name in element.attrib):
            raise BadRequest(
                f"{here}: XML namespaces are not supported in metadata documents; "
                "send the elements without a namespace"
            )
        for name in (element.tag, *element.attrib):
            if _NAME.fullmatch(name) is None:
                raise BadRequest(f"{here}: {name!r} is not a supported element or attribute name")
        for child in reversed(element):  # reversed: the stack pops them in document order
            if (child.tail or "").strip():
                raise BadRequest(
                    f"{here}: mixed content (text after the child element {child.tag}) is not "
                    "supported in metadata documents"
                )
            stack.append((child, here, depth + 1))


def serialize(root: Element) -> bytes:
    """A parsed document as UTF-8 XML with a declaration."""
    return cast(bytes, ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))


def node(element: Element) -> Any:
    """One element as its JSON node, following the convention of the module's docstring."""
    children = list(element)
    if not children and not element.attrib:
        return element.text or ""
    out: dict[str, Any] = {f"@{name}": value for name, value in element.attrib.items()}
    text = (element.text or "").strip()
    if text:
        out["#text"] = text
    for child in children:
        value = node(child)
        current = out.get(child.tag)
        if child.tag not in out:
            out[child.tag] = value
        elif isinstance(current, list):
            current.append(value)
        else:
            out[child.tag] = [current, value]
    return out


def to_json(root: Element) -> dict[str, Any]:
    """A parsed document as its JSON instance."""
    return {root.tag: node(root)}


def _name(name: Any, where: str) -> str:
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise BadRequest(f"{where}: {name!r} is not an XML element or attribute name")
    return name


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise BadRequest(f"{where}: attribute and text values must be strings, numbers or booleans")


def _fill(element: Element, node: Any, where: str) -> None:
    if node is None:
        return
    if not isinstance(node, Mapping):
        if isinstance(node, list):
            raise BadRequest(f"{where}: a list must be the value of an element name")
        element.text = _text(node, where)
        return
    for key, value in node.items():
        if not isinstance(key, str):
            raise BadRequest(f"{where}: keys must be strings")
        if key == "#text":
            element.text = _text(value, f"{where}/#text")
        elif key.startswith("@"):
            element.set(_name(key[1:], where), _text(value, f"{where}/{key}"))
        else:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, list):
                    raise BadRequest(f"{where}/{key}: lists cannot be nested")
                child = ElementTree.SubElement(element, _name(key, where))
                _fill(child, item, f"{where}/{key}")


def to_xml(instance: Any) -> bytes:
    """The XML document of a JSON instance; 400 when the instance has no such document."""
    if not isinstance(instance, Mapping) or len(instance) != 1:
        raise BadRequest(
            "the metadata instance must be an object with exactly one key: the root element"
        )
    ((root_name, node),) = instance.items()
    root = Element(_name(root_name, "instance"))
    _fill(root, node, root_name)
    return serialize(root)
