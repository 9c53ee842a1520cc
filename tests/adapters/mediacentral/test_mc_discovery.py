"""Finding the platform's services through its registry, and rewriting its hrefs."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from adapters.mediacentral.discovery import Service, Services, parse_serviceroots
from adapters.mediacentral.rewrite import Rewriter
from adapters.mediacentral.templates import TemplateMatcher
from tests.support.mediacentral.direct import REGISTRY
from tests.support.mediacentral.fixtures import BACKEND, Connect, SimFactory
from tests.support.mediacentral.navigator import Navigator

UP = "http://mc.internal:8443"
PAM = "/apis/avid.pam;version=1;realm=newsroom"
SEARCH = "/apis/avid.ctms.search;version=1;realm=newsroom"
GW = "https://media.example.org/gw/backends/newsroom"


async def test_services_that_move_are_found_again_and_gateway_links_stay_valid(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators()
    nav = Navigator(await connect(sim))
    backend = await nav.backend(BACKEND)
    root = await nav.get(nav.href(backend, "mc:locations"))
    news_href = nav.href(nav.child(root, "News"), "self")
    news = await nav.get(news_href)
    reads = sim.counters.registry_reads

    sim.relocate_services()
    again = await nav.get(news_href)
    # Hrefs of the gateway's own routes stay as they were; passages name the new path.
    assert (again["base"], again["common"]) == (news["base"], news["common"])
    assert [nav.href(c, "self") for c in nav.children(again)] == [
        nav.href(c, "self") for c in nav.children(news)
    ]
    assert sim.counters.registry_reads == reads + 1
    hits = await nav.get(nav.href(backend, "mc:search", search="marathon"))
    [hit] = nav.embedded(hits, "aa:asset")
    assert (await nav.get(nav.href(hit, "self")))["common"]["name"] == "City marathon - start"
    assert sim.counters.registry_reads == reads + 1  # one read served every service
    assert nav.leaks(sim.url) == []


@pytest.mark.parametrize(
    ("registry", "read"),
    [
        pytest.param("current", ["/ctms-registry/v1"], id="current-through-v1"),
        pytest.param(
            "legacy",
            ["/ctms-registry/v1", REGISTRY, REGISTRY + "/serviceroots"],
            id="older-through-the-templated-link",
        ),
    ],
)
async def test_the_registry_is_found_on_current_and_older_platforms(
    simulators: SimFactory, connect: Connect, registry: str, read: list[str]
) -> None:
    sim = await simulators(registry=registry)
    nav = Navigator(await connect(sim, "oauth2-client-credentials"))
    backend = await nav.backend(BACKEND)
    root = await nav.get(nav.href(backend, "mc:locations"))
    assert [i["common"]["name"] for i in nav.children(root)] == ["News", "Sports", "Archive"]
    assert sim.counters.registry_reads == 1
    # The older root's link is a template, expanded before it is read.
    assert [p for p in sim.counters.paths if "registry" in p] == read


def services(**extra: Service) -> Services:
    doc = {
        "resources": {
            "loc:root-item": [{"href": f"{UP}{PAM}/locations/folders{{?offset,limit}}"}],
            "loc:item-by-id": [
                {"href": f"{UP}{PAM}/locations/items/{{id}}{{?offset,limit}}", "templated": True}
            ],
            "aa:asset-by-id": [{"href": f"{UP}{PAM}/assets/{{id}}", "templated": True}],
            "search:simple-search": [
                {
                    "href": f"{UP}{SEARCH}/searches/simple?search={{search}}{{&offset,limit,sort}}",
                    "templated": True,
                }
            ],
        }
    }
    found = parse_serviceroots(doc, UP + "/ctms-registry/v1/serviceroots", UP)
    return Services({**found.by_rel, **extra}, found.origins, found.directories)


@pytest.mark.parametrize(
    ("href", "templated", "expected"),
    [
        pytest.param(
            f"{UP}{PAM}/locations/items/{{id}}{{?offset,limit}}",
            True,
            f"{GW}/items/{{id}}{{?offset,limit}}",
            id="service-template",
        ),
        pytest.param(
            f"{UP}{SEARCH}/searches/simple?search={{search}}{{&offset,limit,sort}}",
            True,
            f"{GW}/search{{?search,offset,limit,sort}}",
            id="search-template",
        ),
        pytest.param(
            f"{UP}{PAM}/assets/{{id}}/versions{{?limit}}",
            True,
            f"{GW}/proxy{PAM}/assets/{{id}}/versions{{?limit}}",
            id="other-template",
        ),
        pytest.param(
            f"{UP}{PAM}/locations/items/news?offset=25&limit=25",
            False,
            f"{GW}/items/news?offset=25&limit=25",
            id="next-page",
        ),
        pytest.param(f"{UP}{PAM}/locations/folders", False, f"{GW}/locations", id="root-folder"),
        pytest.param(
            f"{UP}{SEARCH}/searches/simple?search=harbour%20fire&offset=2&limit=2",
            False,
            f"{GW}/search?search=harbour%20fire&offset=2&limit=2",
            id="search-page",
        ),
        pytest.param(f"{UP}{PAM}/assets/a%2Fb", False, f"{GW}/assets/a%2Fb", id="encoded-id"),
        pytest.param(
            f"{UP}{PAM}/locations/items/news?view=full",
            False,
            f"{GW}/proxy{PAM}/locations/items/news?view=full",
            id="unknown-parameter",
        ),
        pytest.param(
            f"{UP}{PAM}/assets/x/thumbnail",
            False,
            f"{GW}/proxy{PAM}/assets/x/thumbnail",
            id="thumbnail",
        ),
        pytest.param(f"{PAM}/assets/x", False, f"{GW}/assets/x", id="relative"),
        pytest.param(
            "HTTP://MC.INTERNAL:8443" + PAM + "/assets/x", False, f"{GW}/assets/x", id="case"
        ),
        pytest.param(
            "https://developer.avid.com/ctms/relations/aa/{rel}",
            True,
            "https://developer.avid.com/ctms/relations/aa/{rel}",
            id="documentation",
        ),
        pytest.param(
            "http://mc.internal:84430/x", False, "http://mc.internal:84430/x", id="other-port"
        ),
    ],
)
def test_hrefs_are_rewritten_to_gateway_urls(href: str, templated: bool, expected: str) -> None:
    assert Rewriter(services(), GW).href(href, templated) == expected


def test_every_href_of_nested_documents_is_rewritten() -> None:
    doc: dict[str, Any] = {
        "note": f"moved to {UP}{PAM}/assets/y, see there",
        "source": f"{UP}{PAM}/assets/y",
        "_links": {
            "self": {"href": f"{UP}{PAM}/locations/items/news"},
            "related": [{"href": f"{UP}{PAM}/assets/x", "title": f"at {UP}"}],
            "curies": [
                {"name": "loc", "href": "https://developer.avid.com/{rel}", "templated": True}
            ],
        },
        "_embedded": {
            "loc:item": [
                {
                    "_links": {"self": {"href": f"{UP}{PAM}/locations/items/evening"}},
                    "_embedded": {
                        "aa:asset": {"_links": {"self": {"href": f"{UP}{PAM}/assets/z"}}}
                    },
                }
            ]
        },
    }
    out = Rewriter(services(), GW).document(doc)
    assert out["note"] == f"moved to {GW}/proxy{PAM}/assets/y, see there"
    assert out["source"] == f"{GW}/assets/y"
    assert out["_links"]["self"]["href"] == f"{GW}/items/news"
    assert out["_links"]["related"] == [{"href": f"{GW}/assets/x", "title": f"at {GW}/proxy"}]
    assert out["_links"]["curies"] == doc["_links"]["curies"]
    [item] = out["_embedded"]["loc:item"]
    assert item["_links"]["self"]["href"] == f"{GW}/items/evening"
    assert item["_embedded"]["aa:asset"]["_links"]["self"]["href"] == f"{GW}/assets/z"
    assert "mc.internal" not in str(out)


@pytest.mark.parametrize(
    ("template", "url", "expected"),
    [
        pytest.param("/items/{id}{?offset,limit}", "/items/a", {"id": "a"}, id="path"),
        pytest.param(
            "/items/{id}{?offset,limit}",
            "/items/a?limit=5&offset=10",
            {"id": "a", "limit": "5", "offset": "10"},
            id="query-any-order",
        ),
        pytest.param(
            "/s?q={text}{&limit}", "/s?q=a%20b&limit=2", {"text": "a b", "limit": "2"}, id="pair"
        ),
        pytest.param("/s?format=hal{&limit}", "/s?format=hal", {}, id="fixed-pair"),
        pytest.param("/s?format=hal{&limit}", "/s?limit=1", None, id="fixed-pair-missing"),
        pytest.param("/items/{id}", "/items/a/b", None, id="no-slash-in-value"),
        pytest.param("/items/{id}", "/items/a?x=1", None, id="unknown-parameter"),
        pytest.param("/items{/id}", "/items/a", None, id="unsupported-operator"),
    ],
)
def test_template_matcher_reads_values_back(
    template: str, url: str, expected: dict[str, str] | None
) -> None:
    path, _, query = url.partition("?")
    assert TemplateMatcher.parse(template).match(path, query) == expected


def test_only_paths_inside_discovered_services_pass_through() -> None:
    found = services()
    assert found.origin_of(f"{PAM}/assets/x/thumbnail") == UP
    assert found.origin_of(f"{SEARCH}/searches/simple") == UP
    assert found.origin_of("/auth/tokens/current") is None
    assert found.origin_of("/ctms-registry/v1") is None
    assert found.origins == {UP}


def test_a_service_on_a_second_host_passes_through_from_that_host() -> None:
    other = "https://search.mc.internal"
    doc = {
        "resources": {
            "aa:asset-by-id": [{"href": f"{UP}{PAM}/assets/{{id}}", "templated": True}],
            "search:simple-search": [
                {"href": f"{other}/apis/search/simple{{?search}}", "templated": True}
            ],
        }
    }
    found = parse_serviceroots(doc, UP + "/ctms-registry/v1/serviceroots", UP)
    assert found.origin_of("/apis/search/simple/facets") == other
    assert found.origin_of(f"{PAM}/assets/x/thumbnail") == UP
    assert found.origins == {UP, other}


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        pytest.param("thumbnail", f"{GW}/proxy{PAM}/assets/x/thumbnail", id="sibling"),
        pytest.param("../y", f"{GW}/assets/y", id="parent"),
        pytest.param(f"{PAM}/assets/z", f"{GW}/assets/z", id="absolute-path"),
        pytest.param("?view=full", f"{GW}/proxy{PAM}/assets/x/?view=full", id="query-only"),
    ],
)
def test_relative_hrefs_are_resolved_against_the_document_url(href: str, expected: str) -> None:
    rewriter = Rewriter(services(), GW, f"{UP}{PAM}/assets/x/")
    assert rewriter.href(href) == expected


# --- a service inside another one's path, on a second host ------------------------------

RENDITIONS: Final = "aa:renditions-by-id"
"""A service the platform's registry names besides the simulator's own (made up here)."""
_HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
)
_ASSET_PATH: Final = re.compile(r"(/apis/[^/]+)/assets/([^/]+)")

Serve = Callable[[web.Application], Awaitable[str]]


def _front(platform: str, renditions: str) -> web.Application:
    """The platform at ``platform`` as seen through one more host: its registry names a
    renditions service on the host ``renditions``, inside the path of the asset service
    (``<pam>/assets/renditions/{id}`` under ``<pam>/assets/{id}``), and every asset links
    its renditions there. Everything else passes through as the platform answers it."""

    def edited(path: str, doc: dict[str, Any], here: str) -> dict[str, Any]:
        if path == "/ctms-registry/v1":
            [entry] = doc["resources"]["aa:asset-by-id"]
            pam = entry["href"][len(here) :].split("/assets/", 1)[0]
            doc["resources"][RENDITIONS] = [
                {**entry, "href": f"{renditions}{pam}/assets/renditions/{{id}}"}
            ]
        elif (found := _ASSET_PATH.fullmatch(path)) is not None and "_links" in doc:
            pam, asset_id = found.groups()
            href = f"{renditions}{pam}/assets/renditions/{asset_id}"
            doc["_links"]["aa:renditions"] = {"href": href}
        return doc

    async def forward(request: web.Request) -> web.Response:
        # The Host header goes on as it came: the platform's hrefs then name this host.
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with (
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
            session.request(
                request.method,
                platform + request.raw_path,
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as answer,
        ):
            body = await answer.read()
            kept = CIMultiDict(
                (k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP
            )
            if answer.status == 200 and "json" in answer.content_type:
                here = f"{request.scheme}://{request.host}"
                body = json.dumps(edited(request.path, json.loads(body), here)).encode()
            return web.Response(status=answer.status, body=body, headers=kept)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def _renditions_host(seen: list[str]) -> web.Application:
    async def rendition(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(text=f"rendition at {request.path}")

    app = web.Application()
    app.router.add_get("/{tail:.*}", rendition)
    return app


async def test_a_path_inside_two_services_is_fetched_from_the_longest_matching_one(
    upstream: Serve, simulators: SimFactory, connect: Connect
) -> None:
    """``<pam>/assets/`` lives on the platform, ``<pam>/assets/renditions/`` on a second
    host: a path under both belongs to the longer, and its links lead there."""
    sim = await simulators()
    seen: list[str] = []
    second = await upstream(_renditions_host(seen))
    front = await upstream(_front(sim.url, second))
    nav = Navigator(await connect(sim, keys={"url": front}))
    backend = await nav.backend(BACKEND)
    hits = await nav.get(nav.href(backend, "mc:search", search="trophy"))
    [hit] = nav.embedded(hits, "aa:asset")
    asset = await nav.get(nav.href(hit, "self"))
    href = nav.href(asset, "aa:renditions")
    assert href.startswith(f"{nav.base}/backends/{BACKEND}/proxy/apis/"), href
    response, body = await nav.request("GET", href)
    assert response.status == 200, body
    [path] = seen
    assert body == f"rendition at {path}".encode()
    assert path.endswith(f"/assets/renditions/{hit['base']['id']}")
    # The shorter service's own paths still come from the platform.
    response, thumbnail = await nav.request("GET", nav.href(asset, "aa:thumb"))
    assert response.status == 200, thumbnail
    assert seen == [path]
    assert nav.leaks(second) == []
    assert nav.leaks(front) == []
