"""Single sign-on through a real OpenID Connect provider on loopback: around the login.

Where the login is linked from and where it leads back to (``return_to``), logging out
at the provider, and a login that spans two gateway processes. The provider and the
browser are in :mod:`tests.support.sso`.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlsplit

import pytest

from gateway.auth.pending_logins import COOKIE_BYTES
from gateway.auth.sso import RETURN_TO_CHARS, SSO
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import USERS, auth_table, bearer
from tests.support.oauth import PAGE_ACCEPT, Browser, authorization, pkce
from tests.support.sso import (
    CLIENT_ID,
    CLIENT_SECRET,
    PENDING,
    START,
    Client,
    Provider,
    StartSso,
    at_provider,
    back_at_gateway,
    base,
    begin,
    csrf,
    logged_in,
    me,
    query_of,
    through_provider,
    unreachable_sso,
)


async def test_the_root_and_the_login_answer_link_the_sso_login(sso: StartSso) -> None:
    client = await sso()
    root = await (await client.get("/")).json()
    link = root["_links"]["gw:login-sso"]
    assert link["href"] == base(client) + START + "{?return_to}"
    assert link["templated"] is True
    login = await client.post(
        "/auth/login", json={"username": "editor", "password": USERS["editor"][0]}
    )
    assert (await login.json())["_links"]["gw:login-sso"] == link
    doc = await client.get("/rels/login-sso", headers={"Accept": "application/json"})
    assert doc.status == 200


async def test_without_a_client_id_there_is_no_sso(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    oidc = {"issuer": "https://login.example.org", "audience": "gw"}
    client = await gateway(make_config(auth=auth_table(oidc=oidc)), user=None)
    root = await (await client.get("/")).json()
    assert "gw:login-sso" not in root["_links"]
    # Not served: as anywhere, anonymous callers learn nothing (401), others 404.
    assert (await client.get(START, allow_redirects=False)).status == 401
    answer = await client.get(START, headers=bearer(client.app, "reader"))
    assert answer.status == 404
    assert SSO not in client.app


# --- return_to ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "return_to",
    [
        pytest.param("https://evil.example/", id="another-origin"),
        pytest.param("//evil.example/", id="scheme-relative"),
        pytest.param("/\\evil.example/", id="backslash"),
        pytest.param("\\\\evil.example", id="backslashes"),
        pytest.param("evil.example", id="no-leading-slash"),
        pytest.param("/a\r\nSet-Cookie: x=y", id="header-injection"),
        pytest.param("/a b", id="space"),
        pytest.param("/" + "a" * RETURN_TO_CHARS, id="too-long"),
        pytest.param("javascript:alert(1)", id="script"),
    ],
)
async def test_return_to_off_the_gateways_origin_is_refused(
    gateway: GatewayFactory, make_config: ConfigFactory, return_to: str
) -> None:
    # Refused before the provider is asked anything: this one is never reached.
    client = await unreachable_sso(gateway, make_config)
    answer = await client.get(START, params={"return_to": return_to}, allow_redirects=False)
    assert answer.status == 400
    assert "return_to" in (await answer.json())["detail"]
    assert "Location" not in answer.headers
    assert PENDING not in answer.cookies


async def test_a_browser_sent_off_the_origin_gets_the_refusal_as_a_page(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await unreachable_sso(gateway, make_config)
    answer = await client.get(
        START,
        params={"return_to": "https://evil.example/"},
        headers={"Accept": PAGE_ACCEPT, "Sec-Fetch-Mode": "navigate"},
        allow_redirects=False,
    )
    assert (answer.status, answer.content_type) == (400, "text/html")
    page = await answer.text()
    assert "return_to must be a path on this gateway&#x27;s origin" in page
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert "Location" not in answer.headers


async def test_the_longest_return_to_fits_the_login_cookie_and_is_reached(sso: StartSso) -> None:
    client = await sso()
    longest = "/assets?q=" + "a" * (RETURN_TO_CHARS - len("/assets?q="))
    begun = await client.get(START, params={"return_to": longest}, allow_redirects=False)
    assert begun.status == 307
    cookies: SimpleCookie = SimpleCookie()
    cookies.load(begun.headers["Set-Cookie"])
    # Browsers keep a cookie of up to 4096 bytes, name and value together.
    assert len(PENDING) + len(cookies[PENDING].value) <= COOKIE_BYTES
    landed = await back_at_gateway(client, await at_provider(client, begun.headers["Location"]))
    assert landed.status == 307, await landed.text()
    assert landed.headers["Location"] == base(client) + longest


async def test_the_login_pages_sso_link_comes_back_with_a_long_authorization_request(
    sso: StartSso,
) -> None:
    # A client's state of 1500 characters: the way back to /auth/authorize is longer
    # than the 1024 characters return_to once allowed.
    client = await sso()
    query = authorization(pkce()[1], state="s" * 1500)
    page = await Browser(client).authorize(query)
    assert page.status == 200, page.text
    [link] = [link for link in page.links if START in link]
    begun = await client.session.get(link, allow_redirects=False)
    assert begun.status == 307, await begun.text()
    landed = await back_at_gateway(client, await at_provider(client, begun.headers["Location"]))
    assert landed.status == 307, await landed.text()
    back = urlsplit(landed.headers["Location"])
    assert back.path == "/auth/authorize"
    assert dict(parse_qsl(back.query)) == query


# --- logging out --------------------------------------------------------------------------


async def test_a_script_logging_out_is_told_where_the_provider_logs_out(
    sso: StartSso, provider: Provider
) -> None:
    app = "http://app.example.org"
    client = await sso(server={"cors_origins": [app]})
    await logged_in(client)
    answer = await client.post(
        "/auth/logout",
        headers={"X-CSRF-Token": await csrf(client), "Sec-Fetch-Mode": "cors", "Origin": app},
        allow_redirects=False,
    )
    assert answer.status == 204
    assert "Location" not in answer.headers
    # A page of another origin may read where to send the browser.
    exposed = answer.headers["Access-Control-Expose-Headers"].split(", ")
    assert "Link" in exposed
    link = answer.headers["Link"]
    assert link.endswith('>; rel="gw:sso-logout"')
    end = link[1 : link.index(">")]
    assert end.startswith(provider.issuer + "/session/end?")
    params = query_of(end)
    assert params["client_id"] == CLIENT_ID
    assert params["post_logout_redirect_uri"] == base(client) + "/"
    assert params["id_token_hint"].count(".") == 2
    assert (await me(client))[0] == 401  # the gateway session is over
    # The provider takes the hint and sends the browser back to the gateway.
    back = await through_provider(client.session, end, until=base(client) + "/")
    assert back == base(client) + "/"


@pytest.mark.parametrize(
    "navigation",
    [
        pytest.param({"Sec-Fetch-Mode": "navigate", "Accept": PAGE_ACCEPT}, id="navigating"),
        pytest.param({"Accept": PAGE_ACCEPT}, id="browser-without-sec-fetch"),
    ],
)
async def test_a_browser_form_logging_out_is_sent_to_the_provider(
    sso: StartSso, provider: Provider, navigation: dict[str, str]
) -> None:
    client = await sso()
    await logged_in(client)
    without_token = await client.post(
        "/auth/logout", data={"x": "1"}, headers=navigation, allow_redirects=False
    )
    assert without_token.status == 403  # a form needs the CSRF token too
    answer = await client.post(
        "/auth/logout",
        data={"csrf_token": await csrf(client)},
        headers=navigation,
        allow_redirects=False,
    )
    assert answer.status == 303
    assert answer.headers["Location"].startswith(provider.issuer + "/session/end?")
    assert (await me(client))[0] == 401


async def test_a_script_without_sec_fetch_is_told_rather_than_redirected(
    sso: StartSso, provider: Provider
) -> None:
    client = await sso()
    await logged_in(client)
    answer = await client.post(
        "/auth/logout",
        headers={"X-CSRF-Token": await csrf(client), "Accept": "*/*"},
        allow_redirects=False,
    )
    assert answer.status == 204
    assert answer.headers["Link"].startswith(f"<{provider.issuer}/session/end?")


async def test_without_an_end_session_endpoint_logout_stays_at_the_gateway(sso: StartSso) -> None:
    client = await sso(end_session=False)
    await logged_in(client)
    answer = await client.post(
        "/auth/logout",
        data={"csrf_token": await csrf(client)},
        headers={"Sec-Fetch-Mode": "navigate"},
        allow_redirects=False,
    )
    assert answer.status == 204
    assert "Link" not in answer.headers
    assert (await me(client))[0] == 401


# --- several gateway processes ----------------------------------------------------------


async def test_a_login_begun_on_one_gateway_process_finishes_on_another(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    provider: Provider,
    redis_url: str,
    key_prefix: str,
) -> None:
    # Two processes of one gateway: one Redis, one signing key (the login cookie's key).
    oidc = {
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": "${SSO_CLIENT_SECRET}",
        "username_claim": "preferred_username",
    }
    session = {"store": "redis", "redis_url": redis_url, "key_prefix": key_prefix}
    env = {"SSO_CLIENT_SECRET": CLIENT_SECRET}
    config = make_config(auth=auth_table(oidc=oidc), session=session, env=env)
    first: Client = await gateway(config, user=None)
    second: Client = await gateway(config, user=None)
    await provider.register(base(first), base(second))
    callback = await at_provider(first, await begin(first, "/assets"))
    # The browser is one (its cookies go to both); the balancer sends it to the other.
    answer = await back_at_gateway(first, callback.replace(base(first), base(second)))
    assert answer.status == 307, await answer.text()
    assert answer.headers["Location"] == base(second) + "/assets"
    async with first.session.get(base(first) + "/auth/me") as seen_by_the_first:
        assert seen_by_the_first.status == 200
        assert (await seen_by_the_first.json())["kind"] == "oidc"
