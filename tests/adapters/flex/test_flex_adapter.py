"""The Flex backend through the gateway, against the simulator over real sockets.

Tests start at ``GET /`` and navigate by relation names only; URLs are never built.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from xml.etree.ElementTree import canonicalize

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from adapters.flex.mapping import Rewriter
from adapters.flex.simulator import MEDIA_TYPE, FlexSimulator
from gateway.backends.runtime import BACKENDS
from gateway.web import hal
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import HAL, PROBLEM, Doc
from tests.support.navigator import Navigator as BaseNavigator

XML = "application/xml"
USER, PASSWORD = "archivist", "flex-archive-password"


@pytest.fixture
async def simulator() -> AsyncIterator[FlexSimulator]:
    sim = FlexSimulator(users={USER: PASSWORD}, extra_assets=250)
    await sim.start()
    yield sim
    await sim.close()


@pytest.fixture
async def client(
    simulator: FlexSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    """A gateway with two Flex backends on one simulator: a good login and a wrong one."""
    config = make_config(
        backends={
            "mam": {"kind": "flex", "url": simulator.url, "username": USER, "password": PASSWORD},
            "misconfigured": {
                "kind": "flex",
                "url": simulator.url,
                "username": USER,
                "password": "not-the-password",
                "retries": 0,
            },
        }
    )
    return await gateway(config)


class Navigator(BaseNavigator):
    """The suite's HAL client, going to the ``mam`` backend; keeps every JSON document."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        super().__init__(client, "mam")
        self.documents: list[Any] = []

    async def request(
        self, method: str, href: str | URL, **kwargs: Any
    ) -> tuple[aiohttp.ClientResponse, Any]:
        response, body = await super().request(method, href, **kwargs)
        if response.content_type in (HAL, PROBLEM, "application/json"):
            self.documents.append(body)
        return response, body

    async def asset(self, name: str) -> Doc:
        backend = await self.backend()
        found = await self.follow(backend, "flex:assets", name=name)
        matches = [a for a in found["_embedded"]["flex:asset"] if a["name"] == name]
        assert len(matches) == 1, found
        return await self.follow(matches[0], "self")


@pytest.fixture
def nav(client: TestClient[Any, Any]) -> Navigator:
    return Navigator(client)


NEWS = "Evening News 2024-01-29"
PACKAGE = "Morning Show package"
REEL = "Archive reel 1968"


async def upstream_json(simulator: FlexSimulator, path: str) -> Any:
    """What the upstream itself holds, read behind the gateway's back."""
    headers = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}
    async with (
        aiohttp.ClientSession() as session,
        session.get(simulator.url + path, headers=headers) as response,
    ):
        assert response.status == 200
        return await response.json(content_type=None)


# --- lists and paging --------------------------------------------------------------------


async def test_a_250_asset_list_pages_through_every_item_once(nav: Navigator) -> None:
    backend = await nav.backend()
    page = await nav.follow(backend, "flex:assets", name="Clip", per_page=40)
    names: list[str] = []
    numbers: list[int] = []
    while True:
        numbers.append(page["page"]["number"])
        names += [a["name"] for a in page["_embedded"]["flex:asset"]]
        assert all("name=Clip" in page["_links"][rel]["href"] for rel in ("self", "first", "last"))
        if "next" not in page["_links"]:
            break
        page = await nav.follow(page, "next")
    assert names == [f"Clip {n:04d}" for n in range(1, 251)]
    assert numbers == [1, 2, 3, 4, 5, 6, 7]
    assert page["page"] == {"size": 40, "totalElements": 250, "totalPages": 7, "number": 7}
    assert page["_links"]["last"]["href"] == page["_links"]["self"]["href"]
    back = await nav.follow(page, "prev")
    assert back["_embedded"]["flex:asset"][0]["name"] == "Clip 0201"


@pytest.mark.parametrize(
    ("per_page", "page_number", "first", "count"),
    [
        pytest.param(250, 1, "Clip 0001", 250, id="one-page-of-three-upstream-pages"),
        pytest.param(120, 2, "Clip 0121", 120, id="pages-across-upstream-pages"),
        pytest.param(500, 1, "Clip 0001", 250, id="largest-page"),
        pytest.param(100, 3, "Clip 0201", 50, id="last-partial-page"),
        pytest.param(100, 9, None, 0, id="past-the-end"),
    ],
)
async def test_pages_over_100_are_served_from_several_upstream_pages(
    nav: Navigator, per_page: int, page_number: int, first: str | None, count: int
) -> None:
    backend = await nav.backend()
    page = await nav.follow(
        backend, "flex:assets", name="Clip", per_page=per_page, page=page_number
    )
    items = page.get("_embedded", {}).get("flex:asset", [])
    assert len(items) == count
    assert len({a["id"] for a in items}) == count
    if first is not None:
        assert items[0]["name"] == first
    assert page["page"]["totalElements"] == 250


@pytest.mark.parametrize(
    ("query", "names"),
    [
        pytest.param({"name": "Clip", "sort": "-name", "per_page": 2}, ["Clip 0250", "Clip 0249"]),
        pytest.param({"fql": "fileAssetType = AUDIO"}, [REEL]),
        pytest.param({"fql": 'name ~ "evening" AND approved = true'}, [NEWS]),
        pytest.param({"name": "weather", "sort": "created"}, ["Weather map"]),
    ],
)
async def test_assets_filter_and_sort(nav: Navigator, query: Doc, names: list[str]) -> None:
    page = await nav.follow(await nav.backend(), "flex:assets", **query)
    assert [a["name"] for a in page["_embedded"]["flex:asset"]] == names


@pytest.mark.parametrize(
    ("query", "detail", "upstream"),
    [
        pytest.param({"per_page": "501"}, "at most 500", None, id="per-page-over-500"),
        pytest.param({"sort": "size"}, "sort must be one of", None, id="unknown-sort"),
        pytest.param({"fql": "colour = red"}, "backend mam answered 400", 400, id="bad-fql"),
    ],
)
async def test_bad_list_queries_are_400(
    nav: Navigator, query: dict[str, str], detail: str, upstream: int | None
) -> None:
    href = nav.href(await nav.backend(), "flex:assets")
    response, problem = await nav.request("GET", href, params=query)
    assert response.status == 400
    assert detail in problem["detail"]
    assert problem.get("upstream_status") == upstream


async def test_a_semicolon_in_a_filter_stays_part_of_the_value(
    nav: Navigator, simulator: FlexSimulator
) -> None:
    backend = await nav.backend()
    for name in ("Drama; episode 1", "Drama special"):
        response, body = await nav.request(
            "POST", nav.href(backend, "flex:assets"), json={"name": name}
        )
        assert response.status == 201, body
    # Read as a separator, the ";" would leave the filter "Drama" matching both.
    page = await nav.follow(backend, "flex:assets", name="Drama; episode 1")
    assert [a["name"] for a in page["_embedded"]["flex:asset"]] == ["Drama; episode 1"]


# --- assets ------------------------------------------------------------------------------


async def test_an_asset_links_its_sub_resources(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    assert "href" not in news
    assert (await nav.follow(news, "flex:object-type"))["name"] == "media-asset"
    assert (await nav.follow(news, "flex:account"))["name"] == "Master Account"
    for rel in ("flex:metadata", "flex:annotations", "flex:keyframes", "flex:actions"):
        doc = await nav.follow(news, rel)
        assert doc["_links"]["flex:asset"]["href"] == news["_links"]["self"]["href"]
    children = await nav.follow(news, "flex:children")
    proxy = children["_embedded"]["flex:asset"][0]
    assert proxy["name"] == NEWS + " (proxy)"
    assert proxy["parent"]["href"] == news["_links"]["self"]["href"]
    history = await nav.follow(news, "flex:history")
    assert history["_embedded"]["flex:event"][0]["eventType"] == "Asset Created"
    assert "flex:members" not in news["_links"]
    parents = await nav.follow(news, "flex:parents")
    group = await nav.follow(parents["_embedded"]["flex:parent"][0], "collection")
    assert group["name"] == PACKAGE
    assert "flex:members" in group["_links"]


async def test_assets_are_created_and_updated(nav: Navigator) -> None:
    backend = await nav.backend()
    response, created = await nav.request(
        "POST", nav.href(backend, "flex:assets"), json={"name": "Rushes", "fileAssetType": "VIDEO"}
    )
    assert response.status == 201
    assert response.headers["Location"] == created["_links"]["self"]["href"]
    assert (created["name"], created["size"], created["approved"]) == ("Rushes", 0, False)
    response, updated = await nav.request(
        "PUT", response.headers["Location"], json={"displayName": "Day 1 rushes"}
    )
    assert response.status == 200
    assert updated["displayName"] == "Day 1 rushes"
    assert (await nav.follow(backend, "flex:asset", id=created["id"]))["displayName"] == (
        "Day 1 rushes"
    )
    response, problem = await nav.request("POST", nav.href(backend, "flex:assets"), json={})
    assert response.status == 400
    assert problem["errors"] == ["name is required"]


@pytest.mark.parametrize(
    ("asset_id", "upstream"),
    [
        pytest.param("999999", 404, id="unknown"),
        pytest.param("12;deleted=true", None, id="matrix-injection"),
        pytest.param("twelve", None, id="not-a-number"),
    ],
)
async def test_unknown_assets_are_404(nav: Navigator, asset_id: str, upstream: int | None) -> None:
    href = nav.href(await nav.backend(), "flex:asset", id=asset_id)
    response, problem = await nav.request("GET", href)
    assert response.status == 404
    assert problem.get("upstream_status") == upstream


async def test_wrong_upstream_credentials_are_503_login_failed_without_the_password(
    nav: Navigator, simulator: FlexSimulator
) -> None:
    backend = await nav.backend("misconfigured")
    refused = simulator.refusals
    problem = await nav.problem("GET", nav.href(backend, "flex:assets"), 503)
    assert problem["code"] == "upstream-login-failed"
    assert problem["backend"] == "misconfigured"
    assert problem["errors"] == ["Invalid username or password"]
    assert "not-the-password" not in json.dumps(problem)
    assert simulator.refusals == refused + 1  # fixed credentials: no second try


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            "No resource found at /api/assets;offset=0;limit=5/x",
            "No resource found at this address",
            id="path-with-matrix",
        ),
        pytest.param(
            "See http://flex.internal:8080/api/assets/1;a=b now", "See this address now", id="url"
        ),
        pytest.param("Invalid value x for limit;limit=3", "Invalid value x for limit", id="matrix"),
        pytest.param("Asset with id 5 not found", "Asset with id 5 not found", id="plain"),
    ],
)
def test_flex_messages_lose_upstream_paths_and_matrix_parameters(
    client: TestClient[Any, Any], message: str, expected: str
) -> None:
    backend = client.app[BACKENDS].get("mam")
    assert backend is not None
    body = json.dumps({"errors": {"error": message}}).encode()
    fault = backend.adapter.read_upstream_error(404, MEDIA_TYPE, body)
    assert fault.messages == [expected]


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


# --- actions -----------------------------------------------------------------------------


async def test_actions_are_performed_and_refused_by_state(nav: Navigator) -> None:
    reel = await nav.asset(REEL)
    actions = await nav.follow(reel, "flex:actions")
    assert [a["action"] for a in actions["actions"]] == ["disable", "unapprove", "delete"]
    href = actions["_links"]["self"]["href"]

    response, problem = await nav.request("POST", href, json={"action": "approve"})
    assert response.status == 409
    assert problem["transient"] is True
    assert problem["errors"] == [f"Cannot approve asset {reel['id']}: it is already approved"]
    assert "it is already approved" in problem["detail"]

    response, done = await nav.request("POST", href, json={"action": "unapprove"})
    assert response.status == 200
    assert done["approved"] is False
    assert done["_links"]["self"]["href"] == reel["_links"]["self"]["href"]
    response, done = await nav.request("POST", href, json={"action": "approve"})
    assert (response.status, done["approved"]) == (200, True)

    response, problem = await nav.request("POST", href, json={"action": "destroy"})
    assert response.status == 409
    assert "delete it first" in problem["detail"]
    response, problem = await nav.request("POST", href, json={"action": "publish"})
    assert response.status == 400
    assert "upstream_status" not in problem

    response, done = await nav.request("POST", href, json={"action": "delete"})
    assert (response.status, done["deleted"]) == (200, True)
    response, problem = await nav.request("POST", href, json={"action": "enable"})
    assert response.status == 409
    response, _ = await nav.request("POST", href, json={"action": "destroy"})
    assert response.status == 204
    response, problem = await nav.request("GET", reel["_links"]["self"]["href"])
    assert response.status == 404


# --- group members -----------------------------------------------------------------------


async def test_a_groups_members_are_reordered(nav: Navigator) -> None:
    package = await nav.asset(PACKAGE)

    async def order() -> list[tuple[int, str]]:
        members = await nav.follow(package, "flex:members")
        out = []
        for member in members["_embedded"]["flex:member"]:
            item = await nav.follow(member, "item")
            assert member["_links"]["collection"]["href"] == package["_links"]["self"]["href"]
            out.append((member["index"], item["name"]))
        return out

    assert await order() == [(1, NEWS), (2, "Weather map"), (3, "Interview raw footage")]
    members = await nav.follow(package, "flex:members")
    last = members["_embedded"]["flex:member"][-1]
    response, moved = await nav.request("PUT", last["_links"]["self"]["href"], json={"index": 1})
    assert response.status == 200
    assert moved["index"] == 1
    assert await order() == [(1, "Interview raw footage"), (2, NEWS), (3, "Weather map")]

    reel = await nav.asset(REEL)
    response, added = await nav.request(
        "POST", nav.href(package, "flex:members"), json={"asset": reel["id"], "index": 2}
    )
    assert response.status == 201
    assert response.headers["Location"] == added["_links"]["self"]["href"]
    assert [name for _, name in await order()] == [
        "Interview raw footage",
        REEL,
        NEWS,
        "Weather map",
    ]
    response, problem = await nav.request("PUT", added["_links"]["self"]["href"], json={"index": 7})
    assert response.status == 400
    assert "index must be an integer from 1 to 4" in problem["errors"][0]
    response, _ = await nav.request("DELETE", added["_links"]["self"]["href"])
    assert response.status == 204
    assert await order() == [(1, "Interview raw footage"), (2, NEWS), (3, "Weather map")]


async def test_an_asset_joins_a_group_from_its_own_side(nav: Navigator) -> None:
    reel = await nav.asset(REEL)
    package = await nav.asset(PACKAGE)
    response, joined = await nav.request(
        "POST", nav.href(reel, "flex:parents"), json={"group": package["id"]}
    )
    assert response.status == 201
    assert joined["index"] == 4
    assert (await nav.follow(joined, "collection"))["name"] == PACKAGE
    parents = await nav.follow(reel, "flex:parents")
    assert [p["index"] for p in parents["_embedded"]["flex:parent"]] == [4]
    response, _ = await nav.request("DELETE", joined["_links"]["self"]["href"])
    assert response.status == 204
    assert not (await nav.follow(reel, "flex:parents"))["_embedded"]["flex:parent"]


# --- keyframes, annotations, comments ----------------------------------------------------


async def test_keyframe_images_stream_with_their_content_type(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    keyframes = await nav.follow(news, "flex:keyframes")
    first = keyframes["_embedded"]["flex:keyframe"][0]
    link = first["_links"]["flex:keyframe-image"]
    assert link["type"] == "image/png"
    response, image = await nav.request("GET", link["href"])
    assert response.status == 200
    assert response.content_type == "image/png"
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert first["image"]["href"] == link["href"]  # a link, never the bytes in JSON
    by_template = nav.href(news, "flex:keyframe-image", keyframe_id=first["id"])
    assert (await nav.request("GET", by_template))[1] == image

    response, made = await nav.request(
        "POST", nav.href(news, "flex:keyframes"), json={"timecode": "00:00:02:00"}
    )
    assert response.status == 201
    assert made["frame"] == 50
    response, renamed = await nav.request(
        "PUT", response.headers["Location"], json={"name": "Titles"}
    )
    assert renamed["name"] == "Titles"
    response, _ = await nav.request("DELETE", made["_links"]["self"]["href"])
    assert response.status == 204
    response, _ = await nav.request("GET", made["_links"]["flex:keyframe-image"]["href"])
    assert response.status == 404


async def test_annotations_one_or_many(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    href = nav.href(news, "flex:annotations")
    response, one = await nav.request("POST", href, json={"content": "Logo", "in": 5, "out": 9})
    assert response.status == 201
    assert (await nav.get(response.headers["Location"]))["content"] == "Logo"
    response, many = await nav.request(
        "POST", href, json=[{"content": "A"}, {"content": "B", "originatorContext": "QCReport"}]
    )
    assert response.status == 201
    assert [a["content"] for a in many["_embedded"]["flex:annotation"]] == ["A", "B"]
    response, problem = await nav.request("POST", href, json={"content": "C", "out": -1})
    assert response.status == 400
    assert problem["errors"] == ["out must be a non-negative frame number"]
    response, changed = await nav.request(
        "PUT", one["_links"]["self"]["href"], json={"category": "Branding"}
    )
    assert changed["category"] == "Branding"
    response, _ = await nav.request("DELETE", one["_links"]["self"]["href"])
    assert response.status == 204
    listing = await nav.follow(news, "flex:annotations")
    assert [a["content"] for a in listing["_embedded"]["flex:annotation"]] == [
        "Audio drops for two seconds",
        "A",
        "B",
    ]
    response, _ = await nav.request("GET", one["_links"]["self"]["href"])
    assert response.status == 404


async def test_comments(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    response, made = await nav.request(
        "POST", nav.href(news, "flex:comments"), json={"comment": "Check the captions"}
    )
    assert response.status == 201
    assert (await nav.follow(made, "self"))["comment"] == "Check the captions"
    comments = await nav.follow(news, "flex:comments")
    assert [c["comment"] for c in comments["_embedded"]["flex:comment"]] == [
        "Cleared for broadcast",
        "Check the captions",
    ]


# --- collections and the MAM-wide families -----------------------------------------------


async def test_collections_and_their_items(nav: Navigator) -> None:
    backend = await nav.backend()
    collections = await nav.follow(backend, "flex:collections")
    by_name = {c["name"]: c for c in collections["_embedded"]["flex:collection"]}
    highlights = await nav.follow(by_name["Highlights"], "self")
    items = await nav.follow(highlights, "flex:items", per_page=1)
    assert items["page"]["totalElements"] == 2
    assert (await nav.follow(items["_embedded"]["flex:item"][0], "flex:asset"))["name"] == NEWS
    reel = await nav.asset(REEL)
    response, after = await nav.request(
        "POST", nav.href(highlights, "flex:items"), json={"assets": [reel["id"]]}
    )
    assert response.status == 200
    assert [i["name"] for i in after["_embedded"]["flex:item"]] == [NEWS, "Weather map", REEL]

    dynamic = await nav.follow(by_name["Approved video"], "self")
    assert dynamic["fql"] == "fileAssetType = VIDEO AND approved = true"
    items = await nav.follow(dynamic, "flex:items")
    assert [i["name"] for i in items["_embedded"]["flex:item"]] == [NEWS]

    response, made = await nav.request(
        "POST",
        nav.href(backend, "flex:collections"),
        json={"name": "Audio", "fql": "fileAssetType = AUDIO"},
    )
    assert response.status == 201
    assert (await nav.follow(made, "flex:items"))["page"]["totalElements"] == 1
    response, _ = await nav.request("DELETE", made["_links"]["self"]["href"])
    assert response.status == 204
    response, problem = await nav.request("GET", nav.href(backend, "flex:collection", id="42"))
    assert response.status == 404
    assert "uuid" in problem["detail"]


@pytest.mark.parametrize(
    ("rel", "item_rel", "names"),
    [
        pytest.param("flex:accounts", "flex:account", ["Master Account", "News Account"]),
        pytest.param("flex:actions", "flex:action", ["Transcode to proxy", "Publish"]),
        pytest.param("flex:event-handlers", "flex:event-handler", ["Notify on approval", "Purge"]),
        pytest.param("flex:groups", "flex:group", ["Editors", "Reviewers"]),
    ],
)
async def test_mam_wide_families(nav: Navigator, rel: str, item_rel: str, names: list[str]) -> None:
    listing = await nav.follow(await nav.backend(), rel)
    items = listing["_embedded"][item_rel]
    assert [i["name"] for i in items] == names
    one = await nav.follow(items[0], "self")
    assert one["id"] == items[0]["id"]


async def test_events_link_the_files_they_left(nav: Navigator) -> None:
    events = await nav.follow(await nav.backend(), "flex:events", per_page=500)
    uploads = [e for e in events["_embedded"]["flex:event"] if "flex:file" in e["_links"]]
    assert [e["eventType"] for e in uploads] == ["Attachment Uploaded"]
    response, data = await nav.request("GET", nav.href(uploads[0], "flex:file"))
    assert response.status == 200
    assert response.content_type == "image/png"
    assert data.startswith(b"\x89PNG")


async def test_user_groups_take_their_members_in_order(nav: Navigator) -> None:
    groups = await nav.follow(await nav.backend(), "flex:groups")
    editors = next(g for g in groups["_embedded"]["flex:group"] if g["name"] == "Editors")
    users = await nav.follow(editors, "flex:users")
    people = users["_embedded"]["flex:user"]
    assert [u["name"] for u in people] == [USER, "editor"]
    assert (await nav.follow(people[1], "self"))["name"] == "editor"
    response, reordered = await nav.request(
        "PUT", nav.href(editors, "flex:users"), json={"users": [people[1]["id"], people[0]["id"]]}
    )
    assert response.status == 200
    assert [u["name"] for u in reordered["_embedded"]["flex:user"]] == ["editor", USER]


# --- registry, documentation, and what never leaks ---------------------------------------


async def test_registry_lists_flex_services(nav: Navigator) -> None:
    root = await nav.get(str(nav.client.make_url("/")))
    registry = await nav.follow(root, "registry:serviceroots")
    for rel in ("aa:assets", "aa:asset-by-id", "flex:assets", "flex:collections"):
        systems = [s["systemID"] for e in registry["resources"][rel] for s in e["systems"]]
        assert "mam" in systems
    entries = registry["resources"]["aa:asset-by-id"]
    # The backend's own entry takes its native ids; the root's gw:asset the unified ones.
    own = next(e for e in entries if [s["systemID"] for s in e["systems"]] == ["mam"])
    assert own["templated"] is True
    news = await nav.asset(NEWS)
    assert (await nav.get(hal.expand(own["href"], id=news["id"])))["name"] == NEWS
    asset = await nav.get(hal.expand(root["_links"]["gw:asset"]["href"], id=f"mam:{news['id']}"))
    assert (asset["title"], asset["type"]) == (NEWS, "video")


async def tour(nav: Navigator) -> None:
    """Visit every kind of document and error the backend answers."""
    backend = await nav.backend()
    for rel in ("flex:collections", "flex:accounts", "flex:actions", "flex:event-handlers"):
        listing = await nav.follow(backend, rel)
        for items in listing["_embedded"].values():
            await nav.follow(items[0], "self")
    events = await nav.follow(backend, "flex:events", per_page=500)
    upload = next(e for e in events["_embedded"]["flex:event"] if "flex:file" in e["_links"])
    await nav.request("GET", nav.href(upload, "flex:file"))
    groups = await nav.follow(backend, "flex:groups")
    await nav.follow(groups["_embedded"]["flex:group"][0], "flex:users")
    collections = await nav.follow(backend, "flex:collections")
    await nav.follow(collections["_embedded"]["flex:collection"][0], "flex:items")
    package = await nav.asset(PACKAGE)
    members = await nav.follow(package, "flex:members")
    await nav.follow(members["_embedded"]["flex:member"][0], "self")
    news = await nav.asset(NEWS)
    await nav.follow(news, "flex:object-type")
    await nav.follow(news, "flex:account")
    for rel in (
        "flex:metadata",
        "flex:annotations",
        "flex:keyframes",
        "flex:actions",
        "flex:parents",
        "flex:children",
        "flex:comments",
        "flex:history",
    ):
        doc = await nav.follow(news, rel)
        for items in doc.get("_embedded", {}).values():
            await nav.follow(items[0], "self")
    metadata = await nav.follow(news, "flex:metadata")
    await nav.request("GET", metadata["_links"]["alternate"]["href"])
    await nav.request("GET", nav.href(news, "flex:keyframe-image", keyframe_id="1"))
    await nav.request("POST", nav.href(news, "flex:actions"), json={"action": "approve"})
    await nav.request("GET", nav.href(backend, "flex:asset", id="999999"))
    await nav.request("GET", nav.href(backend, "flex:assets", fql="nonsense"))
    await nav.request(
        "PUT", metadata["_links"]["self"]["href"], data=b"<a>", headers={"Content-Type": XML}
    )


async def test_every_flex_relation_is_documented(nav: Navigator) -> None:
    await tour(nav)
    found: set[str] = set()

    def collect(doc: Any) -> None:
        if isinstance(doc, dict):
            found.update(rel for rel in doc.get("_links", {}) if rel.startswith("flex:"))
            found.update(rel for rel in doc.get("_embedded", {}) if rel.startswith("flex:"))
            for value in doc.values():
                collect(value)
        elif isinstance(doc, list):
            for value in doc:
                collect(value)

    collect(nav.documents)
    assert {"flex:assets", "flex:members", "flex:keyframe-image", "flex:file", "flex:user"} <= found
    backend = await nav.backend()
    curie = next(c for c in backend["_links"]["curies"] if c["name"] == "flex")
    for rel in sorted(found):
        async with nav.session.get(curie["href"].replace("{rel}", rel.split(":", 1)[1])) as page:
            assert page.status == 200, rel


async def test_the_upstream_never_shows(nav: Navigator, simulator: FlexSimulator) -> None:
    await tour(nav)
    port = simulator.url.rsplit(":", 1)[1]
    assert len(nav.seen) > 30
    for text in nav.seen:
        assert simulator.url not in text
        assert f":{port}/" not in text
        for matrix in (";offset=", ";limit=", ";name=", ";fql=", "/api/"):
            assert matrix not in text
        assert "/storage/" not in text  # where Flex keeps its files


def test_upstream_urls_are_rewritten_inside_text_and_dropped_from_lists() -> None:
    rw = Rewriter(lambda path: "https://gw.example/backends/mam" + path, "http://flex.internal")
    data = {
        "note": "see http://flex.internal/api/assets/5;x=1 and http://flex.internal/api/x/9.",
        "links": ["http://flex.internal/api/assets/3", "http://flex.internal/api/x/1", None],
        "fileInformation": {"originalFileName": "a.mxf", "currentLocation": "/storage/a.mxf"},
    }
    assert rw.value(data) == {
        "note": "see https://gw.example/backends/mam/assets/5 and [link removed].",
        "links": ["https://gw.example/backends/mam/assets/3", None],
        "fileInformation": {"originalFileName": "a.mxf"},
    }


# --- a broken upstream -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "status", "code"),
    [
        pytest.param({"fail_status": 503}, 503, "upstream-status", id="failing"),
        pytest.param({"drop_connections": True}, 503, "upstream-unavailable", id="dropping"),
        pytest.param({"latency_s": 0.5}, 408, "upstream-timeout", id="too-slow"),
    ],
)
async def test_a_broken_flex_answers_a_problem_without_its_host(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    faults: dict[str, Any],
    status: int,
    code: str,
) -> None:
    sim = FlexSimulator(users={USER: PASSWORD}, **faults)
    await sim.start()
    try:
        table = {"kind": "flex", "url": sim.url, "username": USER, "password": PASSWORD}
        config = make_config(backends={"mam": {**table, "timeout_s": 0.05, "retries": 0}})
        nav = Navigator(await gateway(config))
        backend = await nav.backend()
        problem = await nav.problem("GET", nav.href(backend, "flex:assets"), status)
        assert problem["code"] == code
        assert problem["backend"] == "mam"
        assert nav.leaks(sim.url) == []
    finally:
        await sim.close()
