"""Who may call what: every route of the app, anonymous and per role.

The routes are enumerated from the running app, so a route added later without
thinking about protection fails here: it is protected by default, and a route that
is public must be in ``PUBLIC`` below.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.auth.access import caller_name
from gateway.auth.authenticator import AUTH
from gateway.auth.identity import Identity
from gateway.web.logformat import JsonFormatter
from gateway.web.routing import ROUTE_META
from tests.support.fixtures import AZURE, EVERY_KIND, FLEX, ConfigFactory, GatewayFactory
from tests.support.identities import USERS, auth_table, bearer, user_entry
from tests.support.navigator import Navigator

PUBLIC = {
    ("GET", "/"),
    ("GET", "/rels/{rel}"),
    ("GET", "/rels/{prefix}/{rel}"),
    ("GET", "/problems/{code}"),
    ("GET", "/schemas/asset"),
    ("POST", "/auth/login"),
    ("POST", "/auth/token"),
    ("GET", "/auth/authorize"),
    ("POST", "/auth/authorize"),
    ("POST", "/auth/authorize/consent"),  # checks the session's CSRF token itself
    ("POST", "/auth/revoke"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/openapi.json"),
    ("GET", "/browser"),
    ("GET", "/browser/browser.js"),
    ("GET", "/browser/browser.css"),
}
"""The issue's public routes, plus documentation like the relation pages: the problem
pages every problem's ``type`` links to, the unified asset's JSON Schema, and the
OpenAPI description."""

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, path template) of every route, HEAD twins left out."""
    out = []
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.get_info()
        path = info.get("path") or info.get("formatter")
        assert path is not None, info
        out.append((route.method, path))
    return sorted(set(out))


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


async def _all_backends(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    return await gateway(make_config(backends=EVERY_KIND), user=None)


async def test_every_route_but_the_public_ones_needs_a_login(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await _all_backends(gateway, make_config)
    routes = _routes(client.app)
    assert set(routes) >= PUBLIC
    meta = client.app[ROUTE_META]
    for route in client.app.router.routes():
        assert route in meta, f"{route.method} {route.get_info()} was added without add_route"
    assert len(routes) > 100  # every backend's routes are in the list
    for method, path in routes:
        response = await client.request(method, _concrete(path))
        if (method, path) in PUBLIC:
            assert response.status != 401, (method, path)
            continue
        assert response.status == 401, (method, path, response.status)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
        assert response.content_type == "application/problem+json"
    unknown = await client.get("/no/such/route")
    assert unknown.status == 401  # anonymous callers do not learn which paths exist


async def test_readers_may_not_change_anything_nor_see_admin_views(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await _all_backends(gateway, make_config)
    reader = bearer(client.app, "reader")
    checked = 0
    for method, path in _routes(client.app):
        if (method, path) in PUBLIC or path.startswith("/auth/"):
            continue
        response = await client.request(method, _concrete(path), headers=reader)
        if method in UNSAFE or path in ("/admin", "/metrics"):
            assert response.status == 403, (method, path, response.status)
            checked += 1
        else:
            assert response.status not in (401, 403), (method, path, response.status)
    assert checked > 30


async def test_admins_see_the_admin_view_without_secrets(gateway: GatewayFactory) -> None:
    client = await gateway(user="admin")
    response = await client.get("/admin")
    assert response.status == 200
    body = await response.json()
    assert {u["name"] for u in body["users"]} == {"admin", "editor", "reader"}
    assert "password_hash" not in str(body)
    assert "$scrypt$" not in str(body)
    assert [b["credentials"] for b in body["backends"]] == ["service", "service"]
    # How /assets?q= searches each backend, for operators wondering why something matched.
    assert all(b["unified_search"] for b in body["backends"])


async def test_a_backend_restricted_to_roles_is_hidden_and_refused_for_others(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(backends={"flex": {**FLEX, "roles": ["editor"]}, "azure": AZURE})
    client = await gateway(config, user="reader")
    root = await (await client.get("/")).json()
    assert [link["name"] for link in root["_links"]["gw:backend"]] == ["azure"]
    listing = await (await client.get("/backends")).json()
    assert listing["count"] == 1
    registry = await (await client.get("/serviceroots")).json()
    assert [s["systemID"] for s in registry["systems"]] == ["azure"]
    refused = await client.get("/backends/flex")
    assert refused.status == 404  # as for a backend that does not exist
    assert "flex" not in str((await refused.json()).get("detail", "")).replace("/backends/flex", "")
    me = await (await client.get("/auth/me")).json()
    assert [(b["name"], b["allowed"]) for b in me["backends"]] == [("azure", True)]
    for user in ("editor", "admin"):
        response = await client.get("/backends/flex", headers=bearer(client.app, user))
        assert response.status == 200, user


async def test_a_per_user_backend_refuses_users_without_credentials(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    users = [*auth_table()["users"], user_entry("alice", "alice-password", ["editor"])]
    flex = {
        "kind": "flex",
        "url": "simulator",
        "users": {"alice": {"username": "alice-flex", "password": "alice-flex-pw"}},
    }
    config = make_config(auth=auth_table(users=users), backends={"flex": flex, "azure": AZURE})
    client = await gateway(config, user="editor")
    refused = await client.get("/backends/flex")
    assert refused.status == 404
    root = await (await client.get("/")).json()
    assert [link["name"] for link in root["_links"]["gw:backend"]] == ["azure"]
    alice = bearer(client.app, "alice")
    assert (await client.get("/backends/flex", headers=alice)).status == 200


async def test_the_403_for_a_reader_names_the_missing_role(gateway: GatewayFactory) -> None:
    client = await gateway(user="reader")
    response = await client.post("/backends/flex/assets", json={"name": "x"})
    assert response.status == 403
    assert "editor role" in (await response.json())["detail"]


async def test_anonymous_callers_learn_nothing_of_the_backends_from_the_root(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    root = await (await client.get("/")).json()
    assert {c["name"] for c in root["_links"]["curies"]} == {"gw", "registry"}
    assert "flex" not in str(root)
    assert "azure" not in str(root)


async def test_backend_role_limits_let_stronger_roles_pass(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(backends={"flex": {**FLEX, "roles": ["reader"]}, "azure": AZURE})
    client = await gateway(config, user="editor")
    assert (await client.get("/backends/flex")).status == 200


async def test_an_identity_without_roles_sees_and_opens_no_backend(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(user=None)
    # A reader's token narrowed to a role the user does not hold any more.
    token, _ = client.app[AUTH].tokens.issue(Identity("reader", "user", frozenset({"admin"})))
    headers = {"Authorization": f"Bearer {token}"}
    me = await (await client.get("/auth/me", headers=headers)).json()
    assert me["roles"] == ["reader"]  # the weaker of what the token and the config allow
    empty, _ = client.app[AUTH].tokens.issue(Identity("reader", "user", frozenset()))
    headers = {"Authorization": f"Bearer {empty}"}
    root = await (await client.get("/", headers=headers)).json()
    assert root["_links"]["gw:backend"] == []
    refused = await client.get("/backends/flex", headers=headers)
    assert refused.status == 404


async def _answer(client: TestClient[Any, Any], method: str, path: str) -> tuple[int, Any, str]:
    response = await client.request(method, path, json={})
    body = await response.json()
    detail = body["detail"].replace(path, "<path>")
    return response.status, response.headers.get("Allow"), f"{body['code']}: {detail}"


@pytest.mark.parametrize(
    ("method", "tail"),
    [
        pytest.param("GET", "", id="root"),
        pytest.param("GET", "/assets", id="listing"),
        pytest.param("GET", "/assets/1", id="one"),
        pytest.param("POST", "/assets", id="unsafe"),
        pytest.param("PATCH", "", id="method-the-route-lacks"),
        pytest.param("GET", "/no/such/route", id="no-route"),
    ],
)
async def test_a_forbidden_backend_answers_as_an_unknown_one(
    gateway: GatewayFactory, make_config: ConfigFactory, method: str, tail: str
) -> None:
    """Names cannot be enumerated: a backend you may not use is one that does not exist."""
    config = make_config(backends={"flex": {**FLEX, "roles": ["editor"]}, "azure": AZURE})
    client = await gateway(config, user="reader")
    forbidden = await _answer(client, method, f"/backends/flex{tail}")
    unknown = await _answer(client, method, f"/backends/nosuch{tail}")
    assert forbidden[0] == 404
    assert forbidden == unknown


async def test_method_refusals_on_a_usable_backend_stay_403(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(user="reader")
    refused = await client.post("/backends/flex/assets", json={"name": "x"})
    assert refused.status == 403
    assert "editor role" in (await refused.json())["detail"]
    assert (await client.get("/admin")).status == 403


# --- CSRF on every unsafe method --------------------------------------------------------

Changed = Callable[[], Awaitable[bool]]
"""Whether the write a test sent has taken effect upstream."""


async def _session_of(client: TestClient[Any, Any], user: str) -> str:
    """Log ``user`` in with the session cookie (kept by the client); the CSRF token."""
    response = await client.post("/auth/login", json={"username": user, "password": USERS[user][0]})
    assert response.status == 200
    token: str = (await response.json())["csrf_token"]
    return token


async def _flex_collection(nav: Navigator) -> str:
    listing = await nav.follow(await nav.backend("flex"), "flex:collections")
    return nav.href(listing["_embedded"]["flex:collection"][0], "self")


async def _rename_a_collection(nav: Navigator) -> tuple[str, dict[str, Any], Changed]:
    href = await _flex_collection(nav)

    async def changed() -> bool:
        return bool((await nav.get(href))["name"] == "Renamed in a session")

    return href, {"json": {"name": "Renamed in a session"}}, changed


async def _delete_a_collection(nav: Navigator) -> tuple[str, dict[str, Any], Changed]:
    href = await _flex_collection(nav)

    async def changed() -> bool:
        response, _ = await nav.request("GET", href)
        return response.status == 404

    return href, {}, changed


async def _patch_an_asset(nav: Navigator) -> tuple[str, dict[str, Any], Changed]:
    backend = await nav.backend("news")
    hits = await nav.get(nav.href(backend, "mc:search", search="trophy"))
    [hit] = nav.embedded(hits, "aa:asset")
    href = nav.href(hit, "self")
    name = "Cup final - trophy lift (graded)"

    async def changed() -> bool:
        return bool((await nav.get(href))["common"]["name"] == name)

    return href, {"json": {"common": {"name": name}}}, changed


@pytest.mark.parametrize(
    ("method", "write"),
    [
        pytest.param("PUT", _rename_a_collection, id="put"),
        pytest.param("PATCH", _patch_an_asset, id="patch"),
        pytest.param("DELETE", _delete_a_collection, id="delete"),
    ],
)
async def test_every_unsafe_method_with_the_session_cookie_needs_the_csrf_token(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    method: str,
    write: Callable[[Navigator], Awaitable[tuple[str, dict[str, Any], Changed]]],
) -> None:
    """A page of another site can make the browser send PUT, PATCH and DELETE with the
    cookie as well as POST: none of them may act without the session's CSRF token."""
    config = make_config(backends={"flex": FLEX, "news": EVERY_KIND["news"]})
    client = await gateway(config, user=None)
    csrf = await _session_of(client, "editor")
    nav = Navigator(client)
    href, body, changed = await write(nav)
    for headers in ({}, {"X-CSRF-Token": "x" * 43}):
        refused = await nav.problem(method, href, 403, headers=headers, **body)
        assert "X-CSRF-Token" in refused["detail"], refused
        assert not await changed(), f"{method} acted without the session's CSRF token"
    response, answer = await nav.request(method, href, headers={"X-CSRF-Token": csrf}, **body)
    assert response.status in (200, 204), answer
    assert await changed()


# --- What each refusal says, and where a refused method stays a 405 -------------------


async def test_refusals_name_exactly_what_the_caller_lacks(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(), user=None)
    reader = bearer(client.app, "reader")
    admin_view = await client.get("/admin", headers=reader)
    assert admin_view.status == 403
    assert (await admin_view.json())["detail"] == "this view is for admins"
    write = await client.post("/backends/flex/assets", json={"name": "x"}, headers=reader)
    assert write.status == 403
    assert (await write.json())["detail"] == (
        "your roles (reader) allow reading only; POST needs the editor role"
    )
    csrf = await _session_of(client, "editor")
    no_token = await client.post("/auth/logout")
    assert no_token.status == 403
    assert (await no_token.json())["detail"] == (
        "send the session's CSRF token in X-CSRF-Token (it is in the login answer and in /auth/me)"
    )
    me = await client.get("/auth/me")
    assert (await me.json())["csrf_token"] == csrf  # the session's own, where it says


async def test_a_method_a_route_lacks_is_405_only_where_the_caller_may_look(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(backends={"flex": {**FLEX, "roles": ["editor"]}, "azure": AZURE})
    client = await gateway(config, user="reader")
    editor = bearer(client.app, "editor")
    for path in ("/backends/flex", "/backends/flex/assets/1/history"):
        allowed = await client.patch(path, headers=editor)
        assert allowed.status == 405, path
        assert "GET" in allowed.headers["Allow"], path
        refused = await client.patch(path)  # the reader, who may not use flex
        assert refused.status == 404, path
        assert refused.headers.get("Allow") is None, path
        assert (await refused.json())["detail"] == f"nothing is served at {path}"
    # Elsewhere a backend's name in the path is just a word: the router answers.
    for path in ("/backends", "/rels/flex"):
        answer = await client.patch(path)
        assert answer.status == 405, path
        assert "GET" in answer.headers["Allow"], path
    for path in ("/nothing", "/nothing/flex/here"):
        unknown = await client.get(path)
        assert unknown.status == 404, path
        assert (await unknown.json())["detail"] == f"nothing is served at {path}"


async def test_a_route_s_own_credential_admits_a_caller_without_a_login(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    token = "scrape-token-0123456789abcdef-0123456789"
    client = await gateway(make_config(server={"metrics_token": token}, backends={}), user=None)
    scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert scraped.status == 200
    assert "halgw_build_info" in await scraped.text()
    wrong = await client.get("/metrics", headers={"Authorization": f"Bearer {token}x"})
    assert wrong.status == 401


class _Lines(logging.Handler):
    """Keeps every formatted line."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


async def test_log_lines_name_the_caller_and_nobody_for_anonymous_requests(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends={}), user=None)
    handler = _Lines()
    handler.setFormatter(JsonFormatter(identity=caller_name))
    logger = logging.getLogger("gateway")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        anonymous = await client.get("/auth/me", headers={"X-Request-Id": "anonymous-1"})
        reader = bearer(client.app, "reader")
        known = await client.post("/auth/logout", headers={**reader, "X-Request-Id": "reader-1"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert (anonymous.status, known.status) == (401, 204)
    lines = {line.get("request_id"): line for line in handler.lines}
    assert lines["anonymous-1"]["status"] == 401
    assert "identity" not in lines["anonymous-1"]
    assert lines["reader-1"]["identity"] == "reader"
