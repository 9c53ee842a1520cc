"""The root, the registry, backend roots, relation docs and problem pages over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import HAL, PROBLEM


async def test_root_links_every_backend_and_the_registry(gateway: GatewayFactory) -> None:
    client = await gateway()
    response = await client.get("/", headers={"Accept": HAL})
    assert response.status == 200
    assert response.content_type == HAL
    body = await response.json()
    links = body["_links"]
    base = str(client.make_url("")).rstrip("/")
    assert links["self"]["href"] == base + "/"
    assert links["registry:serviceroots"]["href"] == base + "/serviceroots"
    assert links["gw:backends"]["href"] == base + "/backends"
    assert [(link["name"], link["href"]) for link in links["gw:backend"]] == [
        ("flex", base + "/backends/flex"),
        ("azure", base + "/backends/azure"),
    ]
    curies = {c["name"]: c for c in links["curies"]}
    assert curies["gw"] == {"name": "gw", "href": base + "/rels/{rel}", "templated": True}
    assert {"gw", "registry", "flex", "azure"} == set(curies)
    assert links["gw:me"]["href"] == base + "/auth/me"
    assert links["gw:admin"]["href"] == base + "/admin"
    assert links["gw:assets"] == {
        "href": base + "/assets{?q,backend,type,cursor,per_page}",
        "templated": True,
        "title": "Assets of every backend",
    }


async def test_backend_roots_answer_from_the_adapter_contract(gateway: GatewayFactory) -> None:
    client = await gateway()
    root = await (await client.get("/")).json()
    for link in root["_links"]["gw:backend"]:
        response = await client.session.get(link["href"])
        assert response.status == 200
        body = await response.json()
        assert body["_links"]["self"]["href"] == link["href"]
        assert body["name"] == link["name"]
        assert body["title"] == link["title"]
        assert body["kind"] in ("flex", "azure")


async def test_backend_list_embeds_each_backend_with_its_readiness(
    gateway: GatewayFactory,
) -> None:
    client = await gateway()
    body = await (await client.get("/backends")).json()
    assert body["count"] == 2
    embedded = body["_embedded"]["gw:backend"]
    assert [(b["name"], b["kind"], b["ready"]) for b in embedded] == [
        ("flex", "flex", True),
        ("azure", "azure", True),
    ]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/serviceroots", id="gateway"),
        pytest.param("/apis/avid.ctms.registry;version=0;realm=global/serviceroots", id="ctms"),
        pytest.param("/apis/avid.ctms.registry;version=0/serviceroots", id="ctms-short"),
    ],
)
async def test_serviceroots_have_the_ctms_shape(gateway: GatewayFactory, path: str) -> None:
    client = await gateway()
    response = await client.get(path)
    assert response.status == 200
    body = await response.json()
    base = str(client.make_url("")).rstrip("/")
    assert body["systems"] == [
        {"systemType": "flex", "systemID": "flex", "description": "flex"},
        {"systemType": "azure", "systemID": "azure", "description": "azure"},
    ]
    assert body["resources"]["gw:backend"] == [
        {
            "href": base + "/backends/flex",
            "templated": False,
            "systems": [{"systemType": "flex", "systemID": "flex"}],
        },
        {
            "href": base + "/backends/azure",
            "templated": False,
            "systems": [{"systemType": "azure", "systemID": "azure"}],
        },
    ]
    for entries in body["resources"].values():
        assert isinstance(entries, list)
        for entry in entries:
            assert set(entry) == {"href", "templated", "systems"}
    assert body["_links"]["self"]["href"] == base + "/serviceroots"
    assert any(c["name"] == "registry" for c in body["_links"]["curies"])


async def test_ctms_registry_root_leads_to_the_serviceroots(gateway: GatewayFactory) -> None:
    client = await gateway()
    body = await (await client.get("/apis/avid.ctms.registry;version=0;realm=global")).json()
    target = body["_links"]["registry:serviceroots"]["href"]
    assert (await client.session.get(target)).status == 200


def _relations(doc: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(doc, dict):
        found |= {rel for rel in doc.get("_links", {}) if ":" in rel}
        for key, value in doc.items():
            if key == "_embedded":
                for rel, inner in value.items():
                    if ":" in rel:
                        found.add(rel)
                    found |= _relations(inner)
            elif key == "resources":
                found |= {rel for rel in value if ":" in rel}
    elif isinstance(doc, list):
        for item in doc:
            found |= _relations(item)
    return found


def _curie_href(curies: list[dict[str, str]], rel: str) -> str:
    prefix, name = rel.split(":", 1)
    template = next(c["href"] for c in curies if c["name"] == prefix)
    return template.replace("{rel}", name)


AVALON = {
    "kind": "avalon",
    "url": "simulator",
    "api_key": "${AVALON_KEY:-" + "a" * 128 + "}",
}


async def test_every_emitted_relation_has_a_documentation_page(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(
        backends={
            "flex": {"kind": "flex", "url": "simulator", "username": "u", "password": "p"},
            "azure": {"kind": "azure", "url": "simulator", "token": "t"},
            "avalon": AVALON,
        }
    )
    client = await gateway(config)
    root = await (await client.get("/")).json()
    documents = [root]
    for path in ("/serviceroots", "/backends"):
        documents.append(await (await client.get(path)).json())
    for link in root["_links"]["gw:backend"]:
        documents.append(await (await client.session.get(link["href"])).json())
    checked = set()
    for document in documents:
        curies = document["_links"]["curies"]
        for rel in sorted(_relations(document)):
            page = await client.session.get(
                _curie_href(curies, rel), headers={"Accept": "text/html"}
            )
            assert page.status == 200, rel
            assert page.content_type == "text/html"
            assert rel in await page.text()
            checked.add(rel)
    assert {"gw:backend", "gw:backends", "registry:serviceroots", "aa:asset-by-id"} <= checked


async def test_relation_doc_as_json_and_unknown_relation(gateway: GatewayFactory) -> None:
    client = await gateway()
    doc = await (await client.get("/rels/backend", headers={"Accept": HAL})).json()
    assert doc["relation"] == "gw:backend"
    assert doc["methods"] == ["GET"]
    missing = await client.get("/rels/nothing-here")
    assert missing.status == 404
    assert missing.content_type == PROBLEM
    assert (await client.get("/rels/unknownprefix/backend")).status == 404


async def test_problem_types_are_documented(gateway: GatewayFactory) -> None:
    client = await gateway()
    body = await (await client.get("/no/such/thing")).json()
    page = await client.session.get(body["type"])
    assert page.status == 200
    assert "not-found" in await page.text()
