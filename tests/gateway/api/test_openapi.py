"""``GET /openapi.json``: the gateway described as OpenAPI 3.1, from its own route table."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import schemathesis
from aiohttp import web

from gateway.spi import ASSET_TYPES
from gateway.web.routing import ROUTE_META
from gateway.web.statuses import STATUS_TABLE
from tests.support.fixtures import EVERY_KIND, ConfigFactory, GatewayFactory

Document = dict[str, Any]
METHODS = ("get", "put", "post", "patch", "delete")


async def _document(
    gateway: GatewayFactory, config: Any = None, user: str | None = "admin", **headers: str
) -> Document:
    client = await gateway(config, user=user)
    response = await client.get("/openapi.json", headers=headers)
    assert response.status == 200
    document: Document = await response.json(content_type=None)
    return document


def _operations(document: Document) -> dict[str, Document]:
    """``"GET /path"`` → operation."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _route_operations(app: web.Application) -> set[str]:
    """``"GET /path"`` of every route the app serves but HEAD, placeholders bare."""
    found = set()
    for route in app.router.routes():
        if route.method != "HEAD" and route in app[ROUTE_META]:
            path = re.sub(r"\{(\w+):[^{}]+\}", r"{\1}", route.resource.canonical)  # type: ignore[union-attr]
            found.add(f"{route.method} {path}")
    return found


async def test_the_document_is_openapi_3_1_and_public(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends=EVERY_KIND), user=None)
    response = await client.get("/openapi.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    document = await response.json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": str(client.make_url("")).rstrip("/")}]
    schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config())
    schema.validate()  # against the OpenAPI 3.1 meta-schema; raises when it does not hold
    assert len(list(schema.get_all_operations())) == len(_operations(document))


async def test_it_comes_in_the_openapi_media_type_when_asked(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    response = await client.get(
        "/openapi.json", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    assert response.status == 200
    assert response.content_type == "application/vnd.oai.openapi+json"
    refused = await client.get("/openapi.json", headers={"Accept": "text/html"})
    assert refused.status == 406


async def test_every_route_and_no_other_is_described(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends=EVERY_KIND))
    document = await (await client.get("/openapi.json")).json()
    described = set(_operations(document))
    assert described == _route_operations(client.app)
    for expected in (
        "GET /openapi.json",
        "GET /rels/{prefix}/{rel}",
        "POST /auth/token",
        "GET /assets",
        "GET /backends/news/proxy/{tail}",
        "PUT /backends/azure/videos/{id}/upload",
        "GET /apis/avid.ctms.registry;version=0;realm=global/serviceroots",
    ):
        assert expected in described
    ids = [operation["operationId"] for operation in _operations(document).values()]
    assert len(ids) == len(set(ids))


async def test_head_is_not_listed_apart(gateway: GatewayFactory) -> None:
    document = await _document(gateway)
    assert all(set(item) <= set(METHODS) for item in document["paths"].values())
    assert "HEAD" in document["info"]["description"]


async def test_only_the_configured_backends_are_described(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    document = await _document(gateway, make_config(backends={"flex": EVERY_KIND["flex"]}))
    backends = {path.split("/")[2] for path in document["paths"] if path.startswith("/backends/")}
    assert backends == {"flex"}
    assert "/backends/avalon/media-objects" not in document["paths"]


async def test_a_backend_shows_only_to_those_who_may_use_it(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    def backends(document: Document) -> set[str]:
        return {p.split("/")[2] for p in document["paths"] if p.startswith("/backends/")}

    flex_for_editors = {**EVERY_KIND["flex"], "roles": ["editor"]}
    config = make_config(backends={"flex": flex_for_editors, "azure": EVERY_KIND["azure"]})
    # To anybody else the backend does not exist (404): its name must not show either.
    assert backends(await _document(gateway, config, user=None)) == set()
    assert backends(await _document(gateway, config, user="reader")) == {"azure"}
    assert backends(await _document(gateway, config, user="editor")) == {"azure", "flex"}
    anonymous = await _document(gateway, config, user=None)
    assert "GET /assets" in _operations(anonymous)  # the gateway's own routes stay


async def test_who_may_call_each_operation(gateway: GatewayFactory) -> None:
    document = await _document(gateway)
    operations = _operations(document)
    for public in ("GET /", "GET /healthz", "POST /auth/login", "POST /auth/token"):
        assert operations[public]["security"] == []
        assert "401" not in operations[public]["responses"] or public.startswith("POST /auth")
    assert operations["GET /healthz"]["responses"].keys().isdisjoint({"401", "403"})
    assert operations["GET /assets"]["security"] == [
        {"bearer": []},
        {"oauth2": []},
        {"session": []},
    ]
    # To change something with the session cookie, its CSRF token comes along.
    assert {"session": [], "csrf": []} in operations["POST /backends/flex/assets"]["security"]
    assert {"oauth2": ["admin"]} in operations["GET /admin"]["security"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "an access token of /auth/token",
    }
    assert schemes["session"]["name"] == "halgw_session"
    assert schemes["csrf"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "the session's CSRF token (in the login answer and /auth/me)",
    }
    token_url = document["servers"][0]["url"] + "/auth/token"
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == token_url


async def test_statuses_are_the_tables_and_errors_are_problems(gateway: GatewayFactory) -> None:
    document = await _document(gateway)
    for label, operation in _operations(document).items():
        for status, response in operation["responses"].items():
            assert int(status) in STATUS_TABLE, label
            if int(status) >= 400:
                assert response == {"$ref": f"#/components/responses/Problem{status}"}
    problem404 = document["components"]["responses"]["Problem404"]
    assert problem404["description"] == "Not found"
    assert list(problem404["content"]) == ["application/problem+json"]


async def test_each_status_where_it_can_happen(gateway: GatewayFactory) -> None:
    operations = _operations(await _document(gateway))

    def statuses(label: str) -> set[int]:
        return {int(s) for s in operations[label]["responses"]}

    # A JSON answer's ETag sent back in If-None-Match: 304.
    assert statuses("GET /healthz") == {200, 304, 400, 406, 408, 414, 415, 429, 500, 503}
    # Only where a body is taken: too large.
    assert 413 in statuses("POST /auth/login")
    assert 413 not in statuses("GET /auth/me")
    # A login is wrong, or sent from another site's page.
    assert {401, 403} <= statuses("POST /auth/login")
    # Returned from any upstream: the mapped statuses.
    assert {404, 409, 412, 501} <= statuses("GET /backends/flex/assets/{id}")
    assert {404, 408, 503} <= statuses("GET /assets")
    # What answers no body is not negotiated; a redirect carries where to go.
    assert 406 not in statuses("POST /auth/logout")
    playback = operations["GET /backends/azure/videos/{id}/playback/{type}"]["responses"]
    assert "Location" in playback["307"]["headers"]
    assert "content" not in playback["307"]
    assert set(operations["DELETE /backends/flex/collections/{id}"]["responses"]) >= {"204"}
    # If-Match on a backend's writes: 412 when it is not current.
    assert 412 in statuses("PUT /backends/flex/assets/{id}")
    assert "content" not in operations["DELETE /backends/flex/collections/{id}"]["responses"]["204"]


async def test_a_get_with_a_content_encoding_is_415_as_described(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    document = await (await client.get("/openapi.json")).json()
    assert "415" in document["paths"]["/healthz"]["get"]["responses"]
    response = await client.get("/healthz", headers={"Content-Encoding": "gzip"})
    assert response.status == 415


async def test_parameters_from_paths_and_routes(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    operations = _operations(await _document(gateway, make_config(backends=EVERY_KIND)))

    def parameters(label: str) -> dict[str, Document]:
        return {p["name"]: p for p in operations[label].get("parameters", [])}

    tail = parameters("GET /backends/news/proxy/{tail}")["tail"]
    assert tail["in"] == "path"
    assert tail["required"] is True
    assert tail["schema"]["pattern"] == "^(?:.+)$"
    one = parameters("GET /backends/flex/assets/{id}")["id"]
    assert one["schema"]["pattern"] == "^(?:[^{}/]+)$"
    assets = parameters("GET /assets")
    assert set(assets) == {"q", "type", "backend", "cursor", "per_page", "If-None-Match"}
    assert assets["If-None-Match"]["in"] == "header"
    assert "If-Match" in parameters("PUT /backends/flex/assets/{id}")
    assert "If-Match" not in parameters("POST /backends/flex/assets")
    assert assets["type"]["schema"] == {"type": "string", "enum": list(ASSET_TYPES)}
    assert assets["per_page"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert set(parameters("GET /backends/flex/assets")) == {
        "page",
        "per_page",
        "name",
        "fql",
        "sort",
        "If-None-Match",
    }
    assert parameters("GET /backends/avalon/media-objects/{id}")["include_structure"]["schema"] == {
        "type": "boolean"
    }
    assert "filename" in parameters("POST /backends/azure/videos")


async def test_request_bodies_take_the_routes_types(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    operations = _operations(await _document(gateway, make_config(backends=EVERY_KIND)))
    assert list(operations["POST /auth/token"]["requestBody"]["content"]) == [
        "application/x-www-form-urlencoded"
    ]
    assert list(operations["PUT /backends/azure/videos/{id}/upload"]["requestBody"]["content"]) == [
        "video/*",
        "audio/*",
    ]
    # Bytes of any type, streamed through.
    replace = "PUT /backends/avalon/media-objects/{id}/supplemental-files/{file_id}/content"
    assert list(operations[replace]["requestBody"]["content"]) == ["*/*"]
    # No body is read.
    assert "requestBody" not in operations["POST /auth/logout"]
    assert all(
        "requestBody" not in operation
        for label, operation in operations.items()
        if label.startswith(("GET ", "DELETE "))
    )


async def test_the_problem_schema_holds_for_the_problems_served(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends=EVERY_KIND))
    document = await (await client.get("/openapi.json")).json()
    validator = jsonschema_rs.validator_for(
        {"$ref": "#/components/schemas/Problem", "components": document["components"]}
    )
    problems = [
        await client.get("/no/such/thing"),
        await client.get("/backends/flex/assets/999999"),  # the upstream's 404
        await client.get("/assets?backend=flex&cursor=forged"),
        await client.post("/auth/token", data={"grant_type": "password"}),
    ]
    for response in problems:
        assert response.content_type == "application/problem+json"
        body = await response.json(content_type=None)
        assert validator.is_valid(body), body
    assert not validator.is_valid({"type": "x", "title": "t", "status": 404})


async def test_the_document_is_made_once_and_served_behind_any_base(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    public = "https://media.example.org/gw"
    client = await gateway(make_config(server={"public_url": public}), user=None)
    first = await (await client.get("/openapi.json")).json()
    second = await (await client.get("/openapi.json")).json()
    assert first == second
    assert first["servers"] == [{"url": public}]
    password = first["components"]["securitySchemes"]["oauth2"]["flows"]["password"]
    assert password["tokenUrl"] == public + "/auth/token"
