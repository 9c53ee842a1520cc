"""Flex asset metadata through the gateway, as XML and JSON, and the XML it refuses."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import canonicalize

import aiohttp
import pytest

from adapters.flex.metadata import MAX_DEPTH, parse, to_json, to_xml
from adapters.flex.simulator import FlexSimulator
from gateway.spi import BadRequest, MalformedBody
from tests.support.flex.fixtures import NEWS, PASSWORD, USER
from tests.support.flex.navigator import PROBLEM, XML, Navigator


async def upstream_json(simulator: FlexSimulator, path: str) -> Any:
    """What the upstream itself holds, read behind the gateway's back."""
    headers = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}
    async with (
        aiohttp.ClientSession() as session,
        session.get(simulator.url + path, headers=headers) as response,
    ):
        assert response.status == 200
        return await response.json(content_type=None)


# --- metadata ----------------------------------------------------------------------------


async def test_metadata_round_trips_as_xml(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    metadata = await nav.follow(news, "flex:metadata")
    assert metadata["instance"]["metadata"]["title"] == "Evening News"
    assert metadata["definition"] == {
        "id": metadata["definition"]["id"],
        "name": "programme",
        "displayName": "Programme metadata",
    }
    alternate = metadata["_links"]["alternate"]
    assert alternate["type"] == XML
    response, original = await nav.request("GET", alternate["href"], headers={"Accept": XML})
    assert response.content_type == XML
    assert b"<keyword>news</keyword><keyword>evening</keyword>" in original
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<metadata lang="en"><title>Late News &amp; Weather</title>'
        "<keywords><keyword>news</keyword><keyword>late</keyword></keywords>"
        '<rights territory="GB">broadcast</rights><notes/></metadata>'
    )
    response, stored = await nav.request(
        "PUT",
        metadata["_links"]["self"]["href"],
        data=document.encode(),
        headers={"Content-Type": XML},
    )
    assert response.status == 200, stored
    assert stored["instance"]["metadata"]["title"] == "Late News & Weather"
    response, served = await nav.request("GET", alternate["href"])
    assert canonicalize(served.decode()) == canonicalize(document)


async def test_metadata_round_trips_as_json(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    metadata = await nav.follow(news, "flex:metadata")
    instance = {
        "programme": {
            "@version": "2",
            "title": "Evening News",
            "presenters": {"presenter": ["A. Anchor", "B. Weather"]},
            "duration": "00:28:30:00",
        }
    }
    response, stored = await nav.request(
        "PUT", metadata["_links"]["self"]["href"], json={**metadata, "instance": instance}
    )
    assert response.status == 200, stored
    assert (await nav.follow(news, "flex:metadata"))["instance"] == instance
    response, xml = await nav.request("GET", metadata["_links"]["alternate"]["href"])
    assert canonicalize(xml.decode()) == canonicalize(
        '<programme version="2"><title>Evening News</title><presenters>'
        "<presenter>A. Anchor</presenter><presenter>B. Weather</presenter></presenters>"
        "<duration>00:28:30:00</duration></programme>"
    )
    for body in ({"instance": {"a": 1, "b": 2}}, {"instance": {"bad name": "x"}}, {"x": 1}):
        response, problem = await nav.request("PUT", metadata["_links"]["self"]["href"], json=body)
        assert response.status == 400
        assert "upstream_status" not in problem


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<metadata><title>&lol9;</title></metadata>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE metadata [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<metadata><title>&secret;</title></metadata>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE metadata SYSTEM "http://127.0.0.1:9/flex.dtd">
<metadata><title>x</title></metadata>"""


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        pytest.param(BOMB, "document type declaration", id="billion-laughs"),
        pytest.param(EXTERNAL, "document type declaration", id="external-entity"),
        pytest.param(EXTERNAL_DTD, "document type declaration", id="external-dtd"),
        pytest.param(b"<metadata><title>x</metadata>", "not well-formed", id="broken"),
        pytest.param(b"<metadata>&undefined;</metadata>", "not well-formed", id="undefined-entity"),
        pytest.param(b"", "empty", id="empty"),
        pytest.param(
            b'<metadata xmlns="urn:x"><title>x</title></metadata>', "namespaces", id="namespace"
        ),
        pytest.param(
            b'<m:metadata xmlns:m="urn:x"><m:title>x</m:title></m:metadata>',
            "namespaces",
            id="prefixed",
        ),
        pytest.param(
            b'<metadata xmlns:x="urn:x"><title x:lang="en">x</title></metadata>',
            "namespaces",
            id="namespaced-attribute",
        ),
        pytest.param(
            b"<metadata><title>x</title>kept nowhere</metadata>", "mixed content", id="mixed"
        ),
    ],
)
async def test_refused_xml_is_400_and_the_upstream_stays_unchanged(
    nav: Navigator, simulator: FlexSimulator, document: bytes, detail: str
) -> None:
    news = await nav.asset(NEWS)
    metadata = await nav.follow(news, "flex:metadata")
    upstream = f"/api/assets/{news['id']}"
    before = await upstream_json(simulator, upstream + "/metadata")
    history = await upstream_json(simulator, upstream + "/history")
    response, problem = await nav.request(
        "PUT", metadata["_links"]["self"]["href"], data=document, headers={"Content-Type": XML}
    )
    assert response.status == 400
    assert response.content_type == PROBLEM
    assert detail in problem["detail"]
    assert "upstream_status" not in problem  # refused by the gateway, never sent
    assert await upstream_json(simulator, upstream + "/metadata") == before
    assert await upstream_json(simulator, upstream + "/history") == history
    assert (await nav.follow(news, "flex:metadata"))["instance"] == metadata["instance"]


# --- the conversions themselves ------------------------------------------------------------
# What a client reads in the 400 problem's detail, word for word, and the document it gets.

NAMESPACES = (
    "XML namespaces are not supported in metadata documents; send the elements without a namespace"
)


@pytest.mark.parametrize(
    ("document", "refused", "detail"),
    [
        pytest.param(
            b" \n",
            MalformedBody,
            "the request body is empty; an XML metadata document is expected",
            id="blank",
        ),
        pytest.param(
            EXTERNAL,
            BadRequest,
            "XML documents with a document type declaration are refused: DTDs carry entity "
            "declarations (entity expansion) and external entities",
            id="dtd",
        ),
        pytest.param(
            b'<metadata><title xmlns="urn:x">x</title></metadata>',
            BadRequest,
            "/metadata/{urn:x}title: " + NAMESPACES,
            id="namespace",
        ),
        pytest.param(
            b'<metadata xmlns:x="urn:x"><title x:lang="en">x</title></metadata>',
            BadRequest,
            "/metadata/title: " + NAMESPACES,
            id="namespaced-attribute",
        ),
        pytest.param(
            "<metadata><titre-é>x</titre-é></metadata>".encode(),
            BadRequest,
            "/metadata/titre-é: 'titre-é' is not a supported element or attribute name",
            id="name",
        ),
        pytest.param(
            b"<metadata><title>x</title>kept nowhere</metadata>",
            BadRequest,
            "/metadata: mixed content (text after the child element title) is not supported "
            "in metadata documents",
            id="mixed",
        ),
    ],
)
def test_a_refused_document_says_what_and_where(
    document: bytes, refused: type[BadRequest], detail: str
) -> None:
    with pytest.raises(BadRequest) as raised:
        parse(document)
    assert type(raised.value) is refused
    assert raised.value.detail == detail


def test_documents_may_nest_max_depth_elements_and_no_deeper() -> None:
    deepest = b"<el>" * MAX_DEPTH + b"</el>" * MAX_DEPTH
    assert to_json(parse(deepest))["el"] is not None
    with pytest.raises(BadRequest) as raised:
        parse(b"<el>" * (MAX_DEPTH + 1) + b"</el>" * (MAX_DEPTH + 1))
    # The path is cut at 200 characters: "/el" 100 times is 300.
    assert raised.value.detail == (
        f"the XML document is nested more than {MAX_DEPTH} elements deep "
        f"(below {('/el' * MAX_DEPTH)[:200]}...)"
    )


def test_repeated_elements_become_a_list_in_document_order() -> None:
    document = b"<m><k>a</k><k>b</k><k>c</k><other/></m>"
    assert to_json(parse(document)) == {"m": {"k": ["a", "b", "c"], "other": ""}}


def test_an_instance_becomes_a_utf8_document_with_a_declaration() -> None:
    document = to_xml({"m": {"@flag": True, "b": False, "n": 2.5, "t": "é", "#text": "x"}})
    head, _, body = document.partition(b"\n")
    assert head.startswith(b"<?xml version='1.0'")
    assert b"utf-8" in head.lower()
    assert body == '<m flag="true">x<b>false</b><n>2.5</n><t>é</t></m>'.encode()


@pytest.mark.parametrize(
    ("instance", "detail"),
    [
        pytest.param(
            {"a": {}, "b": {}},
            "the metadata instance must be an object with exactly one key: the root element",
            id="two-roots",
        ),
        pytest.param(
            {"a b": "x"}, "instance: 'a b' is not an XML element or attribute name", id="root"
        ),
        pytest.param(
            {"m": {"x": {"a b": "x"}}},
            "m/x: 'a b' is not an XML element or attribute name",
            id="element",
        ),
        pytest.param(
            {"m": {"x": {"@a b": "x"}}},
            "m/x: 'a b' is not an XML element or attribute name",
            id="attribute",
        ),
        pytest.param(
            {"m": ["a", "b"]}, "m: a list must be the value of an element name", id="list-root"
        ),
        pytest.param(
            {"m": {"x": {"k": [["a"]]}}}, "m/x/k: lists cannot be nested", id="nested-lists"
        ),
        pytest.param(
            {"m": {"x": {"#text": {"y": 1}}}},
            "m/x/#text: attribute and text values must be strings, numbers or booleans",
            id="text",
        ),
        pytest.param(
            {"m": {"x": {"@y": [1]}}},
            "m/x/@y: attribute and text values must be strings, numbers or booleans",
            id="attribute-value",
        ),
    ],
)
def test_an_instance_without_a_document_says_what_and_where(
    instance: dict[str, Any], detail: str
) -> None:
    with pytest.raises(BadRequest) as raised:
        to_xml(instance)
    assert raised.value.detail == detail
