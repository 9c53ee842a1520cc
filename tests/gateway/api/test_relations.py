"""Relation docs: what each shows resolves, and JSON or HTML by ``Accept``, with Vary."""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from uritemplate import URITemplate

from gateway.api.relations import RELATIONS
from gateway.backends.runtime import BACKENDS
from gateway.config import loading as config_mod
from tests.support.fixtures import GatewayFactory
from tests.support.identities import bearer
from tests.support.navigator import HAL
from tests.support.paths import EMBEDDED_CONFIG

_EXPRESSION = re.compile(r"\{([^}]*)\}")
WALK_PER_TEMPLATE = 3
"""Documents fetched per relation template while looking for sample values."""


def _path_pattern(template: str, backends: list[str]) -> re.Pattern[str]:
    """A regex of the template's path (its query expressions dropped), one group a
    variable; ``backend`` matches the names of ``backends`` only."""
    out, at = [], 0
    for match in _EXPRESSION.finditer(template):
        out.append(re.escape(template[at : match.start()]))
        at = match.end()
        name = match.group(1)
        if name[:1] in "?&":
            return re.compile("".join(out))
        value = "|".join(map(re.escape, backends)) if name == "backend" else "[^/?#]+"
        out.append(f"(?P<{name}>{value})")
    out.append(re.escape(template[at:]))
    return re.compile("".join(out))


_QUERY_EXPRESSION = re.compile(r"\{[?&][^}]*\}")


def _hrefs(doc: Any) -> Iterator[str]:
    """Every href of a HAL document and its embedded resources that names a resource:
    concrete, or a template with query variables only (taken without them)."""
    if isinstance(doc, list):
        for item in doc:
            yield from _hrefs(item)
    elif isinstance(doc, dict):
        for links in doc.get("_links", {}).values():
            for link in links if isinstance(links, list) else [links]:
                href = _QUERY_EXPRESSION.sub("", link["href"])
                if "{" not in href:
                    yield href
        for inner in doc.get("_embedded", {}).values():
            yield from _hrefs(inner)


@dataclasses.dataclass
class _Doc:
    relation: str
    kind: str | None  # the CURIE prefix of a backend kind, None for the gateway's own
    template: str
    methods: list[str]
    backends: list[str]  # the names {backend} stands for
    pattern: re.Pattern[str] = dataclasses.field(init=False)
    sample: dict[str, str] | None = None
    walked: int = 0

    def __post_init__(self) -> None:
        self.pattern = _path_pattern(self.template, self.backends)


async def _relation_docs(client: TestClient[Any, Any]) -> list[_Doc]:
    """Every relation of the catalogue, fetched where the root's and registry's CURIEs say."""
    curies: dict[str, str] = {}
    for path in ("/", "/serviceroots"):
        body = await (await client.get(path, headers={"Accept": HAL})).json()
        curies |= {c["name"]: c["href"] for c in body["_links"]["curies"]}
    backends_of: dict[str, list[str]] = {}
    for backend in client.app[BACKENDS]:
        backends_of.setdefault(type(backend.adapter).curie, []).append(backend.name)
    docs = []
    for prefix, relations in client.app[RELATIONS].items():
        assert prefix in curies, f"no CURIE leads to the {prefix}: relations"
        for name in relations:
            page = await client.session.get(URITemplate(curies[prefix]).expand(rel=name))
            assert page.status == 200, f"{prefix}:{name}"
            body = await page.json()
            assert body["relation"] == f"{prefix}:{name}"
            if body["href"] is not None:
                kind = prefix if prefix in backends_of else None
                names = backends_of.get(prefix, [""])
                docs.append(_Doc(body["relation"], kind, body["href"], body["methods"], names))
    return docs


async def _find_samples(client: TestClient[Any, Any], docs: list[_Doc]) -> None:
    """Walk the gateway from the hrefs of templates without path variables (the root,
    lists), keeping for each relation template the variables of the first concrete href
    it matches."""
    base = str(client.make_url("")).rstrip("/")
    queue = deque(
        URITemplate(doc.template).expand(backend=name)
        for doc in docs
        if set(doc.pattern.groupindex) <= {"backend"} and "GET" in doc.methods
        for name in doc.backends
    )
    fetched: set[str] = set()
    while queue:
        href = queue.popleft()
        if href in fetched:
            continue
        fetched.add(href)
        async with client.session.get(
            href, headers={"Accept": HAL}, allow_redirects=False
        ) as response:
            if response.status != 200 or response.content_type != HAL:
                continue
            body = await response.json()
        for found in _hrefs(body):
            if not found.startswith(base) or found in fetched:
                continue
            path = found.split("?", 1)[0]
            for doc in docs:
                match = doc.pattern.fullmatch(path)
                if match is None:
                    continue
                if doc.sample is None:  # hrefs are escaped, template values are not
                    doc.sample = {k: unquote(v) for k, v in match.groupdict().items()}
                if "GET" in doc.methods and doc.walked < WALK_PER_TEMPLATE:
                    doc.walked += 1
                    queue.append(found)


def _values(doc: _Doc, docs: list[_Doc]) -> dict[str, str]:
    """Sample values of the template's variables: its own sample, else that of the
    sampled template of the kind that is the longest prefix of its path, any variable
    still missing made up (``no-such-<name>``: no resource, but a route's match)."""
    if doc.sample is not None:
        return doc.sample
    prefixes = [
        d
        for d in docs
        if d.kind == doc.kind
        and d.sample is not None
        and doc.template.startswith(d.template.split("{?", 1)[0] + "/")
    ]
    longest = max(prefixes, key=lambda d: len(d.pattern.pattern), default=None)
    found = longest.sample or {} if longest is not None else {}
    return {name: found.get(name, f"no-such-{name}") for name in doc.pattern.groupindex}


async def _route_missing(response: ClientResponse) -> bool:
    """Whether a 404 is the router's (nothing served at the path), not a missing resource."""
    body = await response.json()
    return str(body.get("detail", "")).startswith("nothing is served at")


async def test_every_href_a_relation_doc_shows_resolves(gateway: GatewayFactory) -> None:
    config = config_mod.load(EMBEDDED_CONFIG, env={})
    # Over a hundred requests in a moment: more than one user's bucket holds.
    server = dataclasses.replace(config.server, rate_limit_burst=100_000)
    client = await gateway(dataclasses.replace(config, server=server), user="demo")
    base = str(client.make_url("")).rstrip("/")
    docs = await _relation_docs(client)
    assert {None, "avalon", "mc", "flex", "azure"} <= {d.kind for d in docs}
    await _find_samples(client, docs)

    wrong = []
    tried = 0
    for doc in docs:
        values: dict[str, Any] = {k: v for k, v in _values(doc, docs).items() if k != "backend"}
        for name in doc.backends:
            href = URITemplate(doc.template).expand(values | ({"backend": name} if name else {}))
            for method in doc.methods:
                # Unsafe requests are refused before they act: a body of no type the
                # gateway takes, a tag nothing has, and a token of their own (a logout
                # revokes it).
                headers = {**bearer(client.app, "demo"), "Content-Type": "application/x-none"}
                data: bytes | None = b"x"
                if method == "GET":
                    headers, data = {"Accept": HAL}, None
                elif method in ("PUT", "PATCH", "DELETE"):
                    headers["If-Match"] = '"no-such-tag"'
                async with client.session.request(
                    method, href, headers=headers, data=data, allow_redirects=False
                ) as response:
                    tried += 1
                    made_up = "no-such-" in href
                    if response.status == 405 or (
                        response.status == 404 and (not made_up or await _route_missing(response))
                    ):
                        wrong.append(f"{method} {href} ({doc.relation}): {response.status}")
    assert not wrong, "\n".join(wrong)
    assert tried > 80
    for doc in docs:  # a kind's page names no backend: one page serves each of the kind
        assert doc.template.startswith(base + ("/backends/{backend}/" if doc.kind else "/"))


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        pytest.param(None, HAL, id="none"),
        pytest.param("*/*", HAL, id="curl"),
        pytest.param("application/json", HAL, id="json"),
        pytest.param("text/html, application/json", HAL, id="html-not-preferred"),
        pytest.param("application/json;q=0.5, text/html;q=0.4", HAL, id="json-preferred"),
        pytest.param(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "text/html",
            id="browser",
        ),
        pytest.param("text/html", "text/html", id="html"),
    ],
)
async def test_relation_docs_are_json_unless_html_is_preferred(
    gateway: GatewayFactory, accept: str | None, media: str
) -> None:
    client = await gateway(user=None)
    headers = {"Accept": accept} if accept is not None else {}
    for path in ("/rels/backend", "/rels/flex/assets"):
        response = await client.get(path, headers=headers, skip_auto_headers=["Accept"])
        assert response.status == 200
        assert response.content_type == media
        assert response.headers["Vary"] == "Accept"


async def test_a_logged_in_callers_relation_doc_varies_on_the_login_too(
    gateway: GatewayFactory,
) -> None:
    client = await gateway()
    for accept in ("*/*", "text/html"):
        response = await client.get("/rels/flex/assets", headers={"Accept": accept})
        assert response.status == 200
        fields = [f.strip().lower() for f in response.headers["Vary"].split(",")]
        assert "accept" in fields
        assert len(fields) == len(set(fields))


async def test_a_kinds_relation_doc_shows_its_href_under_each_backend(
    gateway: GatewayFactory,
) -> None:
    client = await gateway()
    base = str(client.make_url("")).rstrip("/")
    doc = await (await client.get("/rels/flex/assets", headers={"Accept": HAL})).json()
    assert doc["href"] == base + "/backends/{backend}/assets{?page,per_page,name,fql,sort}"
    assert doc["templated"] is True
    listing = await client.session.get(URITemplate(doc["href"]).expand(backend="flex", per_page=1))
    assert listing.status == 200
    assert (await listing.json())["_links"]["self"]["href"].startswith(base + "/backends/flex/")
    page = await (await client.get("/rels/flex/assets", headers={"Accept": "text/html"})).text()
    assert base + "/backends/{backend}/assets{?page,per_page,name,fql,sort}" in page
    own = await (await client.get("/rels/assets", headers={"Accept": HAL})).json()
    assert own["href"] == base + "/assets{?q,backend,type,cursor,per_page}"
