"""The gateway over HTTP: root, registry, relation docs, errors, request ids, public URLs."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import pytest
from aiohttp import web

from gateway.backends.runtime import BACKENDS
from gateway.web.bodies import read_json
from gateway.web.routing import Route, add_route, hal_response
from gateway.web.statuses import ERROR_STATUSES
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import bearer

HAL = "application/hal+json"
PROBLEM = "application/problem+json"


def assert_problem(body: dict[str, Any], status: int, incident: str) -> None:
    assert body["status"] == status
    assert status in ERROR_STATUSES
    assert {"type", "title", "detail", "code", "transient", "incident"} <= set(body)
    assert body["incident"] == incident
    assert "Traceback" not in str(body)


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


@pytest.mark.parametrize(
    "accept",
    [
        pytest.param("text/html", id="html"),
        pytest.param("application/xml", id="xml"),
        pytest.param("application/hal+json;q=0, application/json;q=0", id="q-zero"),
    ],
)
async def test_unacceptable_accept_gets_406(gateway: GatewayFactory, accept: str) -> None:
    client = await gateway()
    response = await client.get("/", headers={"Accept": accept})
    assert response.status == 406
    assert response.content_type == PROBLEM
    assert_problem(await response.json(), 406, response.headers["X-Request-Id"])


@pytest.mark.parametrize(
    "accept",
    [
        pytest.param(None, id="absent"),
        pytest.param("*/*", id="any"),
        pytest.param("application/json", id="json"),
        pytest.param("application/hal+json", id="hal"),
    ],
)
async def test_acceptable_accept_gets_hal(gateway: GatewayFactory, accept: str | None) -> None:
    client = await gateway()
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/", headers=headers, skip_auto_headers=["Accept"])
    assert response.status == 200
    assert response.content_type == HAL


def _test_routes(app: web.Application) -> None:
    async def echo(request: web.Request) -> web.Response:
        return hal_response({"echo": await read_json(request)}, status=201)

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals: password=hunter2")

    add_route(app, Route("POST", "/test/echo", echo))
    add_route(app, Route("PUT", "/test/echo", echo))
    add_route(app, Route("GET", "/test/boom", boom))


async def test_unknown_route_is_a_404_problem(gateway: GatewayFactory) -> None:
    client = await gateway()
    response = await client.get("/nothing/here")
    assert response.status == 404
    assert response.content_type == PROBLEM
    body = await response.json()
    assert_problem(body, 404, response.headers["X-Request-Id"])
    assert body["title"] == "Not found"
    assert body["transient"] is False
    assert body["code"] == "not-found"


async def test_wrong_method_is_a_405_problem_with_allow(gateway: GatewayFactory) -> None:
    client = await gateway(routes=_test_routes)
    response = await client.delete("/test/echo")
    assert response.status == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "PUT"}
    assert_problem(await response.json(), 405, response.headers["X-Request-Id"])


async def test_body_over_the_limit_is_413(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"max_body_bytes": 100}), routes=_test_routes)
    response = await client.post("/test/echo", json={"data": "x" * 200})
    assert response.status == 413
    body = await response.json()
    assert_problem(body, 413, response.headers["X-Request-Id"])
    assert "the limit is 100" in body["detail"]


async def test_chunked_body_over_the_limit_is_413(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"max_body_bytes": 100}), routes=_test_routes)

    async def chunks() -> Any:
        for _ in range(10):
            yield b'{"a": "' + b"x" * 50 + b'"}'

    response = await client.post(
        "/test/echo", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    assert response.content_type == PROBLEM


async def test_uri_over_the_limit_is_414(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"max_uri_bytes": 300}))
    response = await client.get("/?" + "q" * 400)
    assert response.status == 414
    assert_problem(await response.json(), 414, response.headers["X-Request-Id"])
    assert (await client.get("/?" + "q" * 200)).status == 200


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/plain", id="text"),
        pytest.param("application/xml", id="xml"),
        pytest.param("application/x-www-form-urlencoded", id="form"),
    ],
)
async def test_unsupported_body_type_is_415(gateway: GatewayFactory, content_type: str) -> None:
    client = await gateway(routes=_test_routes)
    for method in ("POST", "PUT"):
        response = await client.request(
            method, "/test/echo", data=b"{}", headers={"Content-Type": content_type}
        )
        assert response.status == 415
        body = await response.json()
        assert_problem(body, 415, response.headers["X-Request-Id"])
        assert content_type in body["detail"]


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        pytest.param(b'{"a": ', "not valid JSON", id="truncated"),
        pytest.param(b"{'a': 1}", "not valid JSON", id="single-quotes"),
        pytest.param(b"   ", "empty", id="blank"),
        pytest.param(b'{"a": "\xff"}', "not UTF-8", id="not-utf8"),
    ],
)
async def test_malformed_json_is_400(gateway: GatewayFactory, raw: bytes, detail: str) -> None:
    client = await gateway(routes=_test_routes)
    response = await client.post(
        "/test/echo", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    body = await response.json()
    assert_problem(body, 400, response.headers["X-Request-Id"])
    assert detail in body["detail"]


async def test_well_formed_json_passes(gateway: GatewayFactory) -> None:
    client = await gateway(routes=_test_routes)
    response = await client.post("/test/echo", json={"a": [1, 2]})
    assert response.status == 201
    assert (await response.json())["echo"] == {"a": [1, 2]}


async def test_unexpected_exception_is_500_logged_without_trace(
    gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = await gateway(routes=_test_routes)
    with caplog.at_level(logging.ERROR, logger="gateway.web.middlewares"):
        response = await client.get("/test/boom")
    assert response.status == 500
    body = await response.json()
    incident = response.headers["X-Request-Id"]
    assert_problem(body, 500, incident)
    assert "hunter2" not in await response.text()
    assert incident in body["detail"]
    assert any(incident in record.getMessage() for record in caplog.records)


async def test_request_id_is_generated_and_matches_the_incident(gateway: GatewayFactory) -> None:
    client = await gateway()
    ok = await client.get("/")
    uuid.UUID(ok.headers["X-Request-Id"])
    missing = await client.get("/nope")
    assert (await missing.json())["incident"] == missing.headers["X-Request-Id"]
    assert missing.headers["X-Request-Id"] != ok.headers["X-Request-Id"]


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        pytest.param("abc-123.DEF_4:5", True, id="well-formed"),
        pytest.param("x" * 129, False, id="too-long"),
        pytest.param("has space", False, id="space"),
        pytest.param("<script>", False, id="markup"),
    ],
)
async def test_incoming_request_id_is_kept_only_when_well_formed(
    gateway: GatewayFactory, incoming: str, kept: bool
) -> None:
    client = await gateway()
    response = await client.get("/nope", headers={"X-Request-Id": incoming})
    rid = response.headers["X-Request-Id"]
    assert (rid == incoming) is kept
    assert (await response.json())["incident"] == rid


FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "media.example.org",
    "X-Forwarded-Prefix": "/gateway",
}


async def test_forwarded_headers_set_the_public_base_when_trusted(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"trust_forwarded": True}))
    body = await (await client.get("/", headers=FORWARDED)).json()
    base = "https://media.example.org/gateway"
    assert body["_links"]["self"]["href"] == base + "/"
    assert body["_links"]["gw:backend"][0]["href"] == base + "/backends/flex"
    assert body["_links"]["curies"][0]["href"] == base + "/rels/{rel}"
    registry = await (await client.get("/serviceroots", headers=FORWARDED)).json()
    assert registry["resources"]["gw:backend"][0]["href"] == base + "/backends/flex"
    problem = await (await client.get("/nope", headers=FORWARDED)).json()
    assert problem["type"].startswith(base + "/problems/")


async def test_first_forwarded_value_wins_and_garbage_is_ignored(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"trust_forwarded": True}))
    headers = {
        "X-Forwarded-Proto": "gopher",
        "X-Forwarded-Host": "a.example.org, proxy.internal",
        "X-Forwarded-Prefix": '/x"><script>',
    }
    body = await (await client.get("/", headers=headers)).json()
    assert body["_links"]["self"]["href"] == "http://a.example.org/"


async def test_forwarded_headers_are_ignored_unless_trusted(gateway: GatewayFactory) -> None:
    client = await gateway()
    body = await (await client.get("/", headers=FORWARDED)).json()
    assert body["_links"]["self"]["href"] == str(client.make_url("/"))


async def test_public_url_wins_over_everything(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config({"public_url": "https://gw.example.org/media/", "trust_forwarded": True})
    client = await gateway(config)
    body = await (await client.get("/", headers=FORWARDED)).json()
    hrefs = re.findall(r'"href": "([^"]+)"', str(body).replace("'", '"'))
    assert hrefs
    assert all(h.startswith("https://gw.example.org/media/") for h in hrefs)


async def test_healthz_is_always_200(gateway: GatewayFactory) -> None:
    client = await gateway()
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_readyz_is_200_when_every_backend_answers(gateway: GatewayFactory) -> None:
    client = await gateway()
    response = await client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["backends"] == {"flex": "ready", "azure": "ready"}
    anonymous = await client.get("/readyz", headers={"Authorization": ""})
    assert await anonymous.json() == {
        "status": "ready",
        "ready": 2,
        "_links": {"self": {"href": str(client.make_url("/readyz"))}},
    }


async def test_readyz_is_503_listing_the_backends_that_do_not(
    gateway: GatewayFactory, make_config: ConfigFactory, unused_tcp_port: int
) -> None:
    down = {
        "kind": "azure",
        "url": f"http://127.0.0.1:{unused_tcp_port}",
        "token": "t",
        "retries": 0,
    }
    config = make_config(
        backends={
            "flex": {"kind": "flex", "url": "simulator", "username": "u", "password": "p"},
            "down": down,
        }
    )
    client = await gateway(config)
    response = await client.get("/readyz")
    assert response.status == 503
    assert response.content_type == PROBLEM
    body = await response.json()
    assert_problem(body, 503, response.headers["X-Request-Id"])
    assert [(p["backend"], p["status"]) for p in body["backends"]] == [("down", 503)]
    assert f"{unused_tcp_port}" not in await response.text()
    # Anybody else learns how many, not which nor why: those describe the deployment.
    for user in (None, "editor"):
        headers = {"Authorization": ""} if user is None else bearer(client.app, user)
        anonymous = await client.get("/readyz", headers=headers)
        assert anonymous.status == 503
        shown = await anonymous.json()
        assert shown["detail"] == "1 of 2 backends are not ready"
        assert "backends" not in shown
        assert "down" not in await anonymous.text()


@pytest.mark.parametrize(
    ("upstream_status", "status", "transient"),
    [
        pytest.param(422, 400, False, id="validation"),
        pytest.param(410, 404, False, id="gone"),
        pytest.param(504, 408, True, id="upstream-gateway-timeout"),
        pytest.param(500, 500, False, id="server-error"),
    ],
)
async def test_upstream_errors_become_problems_with_the_upstream_messages(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    upstream: Any,
    upstream_status: int,
    status: int,
    transient: bool,
) -> None:
    async def fail(request: web.Request) -> web.Response:
        return web.json_response(
            {"errors": ["upstream says no", "key t-secret rejected"]}, status=upstream_status
        )

    fake = web.Application()
    fake.router.add_route("*", "/{tail:.*}", fail)
    url = await upstream(fake)
    config = make_config(
        backends={"up": {"kind": "azure", "url": url, "token": "t-secret", "retries": 0}}
    )

    def routes(app: web.Application) -> None:
        async def call(request: web.Request) -> web.Response:
            await app[BACKENDS].backends["up"].client.request("POST", "/api/Videos")
            return web.Response()

        add_route(app, Route("GET", "/test/call", call))

    client = await gateway(config, routes=routes)
    response = await client.get("/test/call")
    assert response.status == status
    assert response.content_type == PROBLEM
    body = await response.json()
    assert_problem(body, status, response.headers["X-Request-Id"])
    assert body["transient"] is transient
    assert (body["backend"], body["upstream_status"]) == ("up", upstream_status)
    assert body["errors"] == ["upstream says no", "key *** rejected"]
    assert url not in await response.text()
