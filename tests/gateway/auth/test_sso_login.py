"""Single sign-on through a real OpenID Connect provider on loopback: the login itself.

What binds an answer to the login this browser began, what the ID token must hold, who
gets which roles, and how refusals reach browsers and scripts. The provider and the
browser are in :mod:`tests.support.sso`.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

import aiohttp
import pytest

from gateway.auth.authenticator import AUTH
from gateway.auth.pending_logins import PENDING_TTL_S
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.oauth import PAGE_ACCEPT
from tests.support.sso import (
    CALLBACK,
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
    logged_in,
    me,
    query_of,
    refused_without_session,
    unreachable_sso,
    with_query,
    without_query,
)

NAVIGATING = {"Sec-Fetch-Mode": "navigate", "Accept": PAGE_ACCEPT}
"""What a browser sends when the provider's redirect brings it back."""


@pytest.mark.parametrize(
    "auth_method",
    [
        pytest.param("client_secret_basic", id="secret-basic"),
        pytest.param("client_secret_post", id="secret-post"),
    ],
)
async def test_a_browser_logs_in_through_the_provider_and_lands_where_it_asked(
    sso: StartSso, provider: Provider, auth_method: str
) -> None:
    client = await sso(auth_method=auth_method)
    begun = await client.get(START, params={"return_to": "/assets?q=a%20b"}, allow_redirects=False)
    assert begun.status == 307
    authorize = begun.headers["Location"]
    assert authorize.startswith(provider.issuer + "/auth?")
    params = query_of(authorize)
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == base(client) + CALLBACK
    assert params["scope"] == "openid profile email"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 43
    assert len(params["nonce"]) >= 43
    assert params["state"] != params["nonce"]
    cookies: SimpleCookie = SimpleCookie()
    for header in begun.headers.getall("Set-Cookie"):
        cookies.load(header)
    pending = cookies[PENDING]
    assert (pending["httponly"], pending["samesite"], pending["path"]) == (True, "Lax", START)
    assert pending["max-age"] == "600"
    for secret in (params["state"], params["nonce"]):
        assert secret not in pending.value  # sealed, not readable in the browser

    landed = await back_at_gateway(client, await at_provider(client, authorize))
    assert landed.status == 307
    assert landed.headers["Location"] == base(client) + "/assets?q=a%20b"
    assert "no-store" in landed.headers["Cache-Control"]
    status, who = await me(client)
    assert status == 200, who
    assert (who["name"], who["kind"], who["roles"], who["via"]) == (
        "maria",
        "oidc",
        ["editor"],
        "session",
    )
    assert len(who["csrf_token"]) >= 32
    assert [b["name"] for b in who["backends"]] == ["flex", "azure"]
    assert CLIENT_SECRET not in json.dumps(who)


async def test_without_return_to_the_browser_lands_on_the_root(sso: StartSso) -> None:
    client = await sso()
    assert await logged_in(client) == base(client) + "/"
    root = await (await client.get("/")).json()
    assert root["_links"]["gw:me"]["title"] == "Logged in as maria"


async def test_logins_begun_in_two_tabs_each_finish(sso: StartSso) -> None:
    client = await sso()
    first = await begin(client, "/one")
    second = await begin(client, "/two")
    assert query_of(first)["state"] != query_of(second)["state"]
    landed = await back_at_gateway(client, await at_provider(client, first))
    assert landed.headers["Location"] == base(client) + "/one"
    landed = await back_at_gateway(client, await at_provider(client, second))
    assert landed.headers["Location"] == base(client) + "/two"


# --- what binds the answer to this browser's login ----------------------------------------


async def test_a_state_this_browser_did_not_begin_is_refused(sso: StartSso) -> None:
    client = await sso()
    callback = await at_provider(client, await begin(client))
    wrong = await back_at_gateway(client, with_query(callback, state="x" * 43))
    await refused_without_session(client, wrong, 400, "no login")
    # Another browser (no pending-login cookie) with the real state and code.
    async with (
        aiohttp.ClientSession() as elsewhere,
        elsewhere.get(callback, allow_redirects=False) as answer,
    ):
        assert answer.status == 400
        assert "another browser" in (await answer.json())["detail"]
    # The browser that began it still finishes.
    assert (await back_at_gateway(client, callback)).status == 307


@pytest.mark.parametrize(
    "state",
    [
        pytest.param("%C3%A9", id="e-acute"),
        pytest.param("%E2%80%AE" + "x" * 43, id="right-to-left-override"),
    ],
)
async def test_a_state_beyond_ascii_is_refused_like_any_stranger(sso: StartSso, state: str) -> None:
    client = await sso()
    await begin(client)  # a pending login, so that the state is compared with one
    answer = await back_at_gateway(client, f"{base(client)}{CALLBACK}?state={state}&code=abc")
    await refused_without_session(client, answer, 400, "no login")


async def test_an_answer_naming_another_issuer_is_refused(sso: StartSso) -> None:
    client = await sso()
    callback = await at_provider(client, await begin(client))
    assert "iss" in query_of(callback)  # the provider says who answers (RFC 9207)
    mixed_up = await back_at_gateway(client, with_query(callback, iss="https://evil.example"))
    await refused_without_session(client, mixed_up, 400, "another issuer")


async def test_an_answer_without_iss_is_refused_when_the_provider_promises_it(
    sso: StartSso, provider: Provider
) -> None:
    client = await sso()
    async with client.session.get(provider.issuer + "/.well-known/openid-configuration") as doc:
        assert (await doc.json())["authorization_response_iss_parameter_supported"] is True
    callback = await at_provider(client, await begin(client))
    stripped = await back_at_gateway(client, without_query(callback, "iss"))
    await refused_without_session(client, stripped, 400, "does not name its issuer")


async def test_a_login_completes_once(sso: StartSso) -> None:
    client = await sso()
    authorize = await begin(client)
    begun = client.session.cookie_jar.filter_cookies(client.make_url(CALLBACK))[PENDING].value
    callback = await at_provider(client, authorize)
    assert (await back_at_gateway(client, callback)).status == 307
    session_cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))
    session = session_cookie["halgw_session"].value

    # The same answer again: this browser has no such login pending any more.
    again = await back_at_gateway(client, callback)
    assert again.status == 400
    # With the pending-login cookie kept from before: the provider refuses its used code.
    replayed = await back_at_gateway(client, callback, cookies={PENDING: begun})
    assert replayed.status == 401
    assert "invalid_grant" in (await replayed.json())["detail"]
    # A fresh code for the same login (the provider's session is still on): one session
    # per login, not two.
    fresh = await at_provider(client, authorize)
    assert query_of(fresh)["code"] != query_of(callback)["code"]
    second = await back_at_gateway(client, fresh, cookies={PENDING: begun})
    assert second.status == 400
    assert "finished already" in (await second.json())["detail"]
    now = client.session.cookie_jar.filter_cookies(client.make_url("/"))["halgw_session"]
    assert now.value == session
    assert (await me(client))[0] == 200  # the first session lives on


async def test_a_login_begun_too_long_ago_is_refused(sso: StartSso) -> None:
    client = await sso()
    callback = await at_provider(client, await begin(client))
    store = client.app[AUTH].store
    begun_at = store.clock()
    store.clock = lambda: begun_at + PENDING_TTL_S + 1  # the state store's clock rules
    answer = await back_at_gateway(client, callback)
    await refused_without_session(client, answer, 400, "more than 10 minutes ago")


# --- what the ID token must hold ----------------------------------------------------------


async def test_an_id_token_for_another_nonce_is_refused(sso: StartSso) -> None:
    client = await sso()
    authorize = await begin(client)
    # The gateway's state and code challenge, but a nonce of somebody else's: the code
    # redeems (PKCE holds), the ID token is not this login's.
    foreign = with_query(authorize, nonce="a-nonce-of-somebody-else-0123456789abcdef")
    answer = await back_at_gateway(client, await at_provider(client, foreign))
    await refused_without_session(client, answer, 401, "nonce")


async def test_an_expired_id_token_is_refused(sso: StartSso) -> None:
    client = await sso()
    callback = await at_provider(client, await begin(client))
    store = client.app[AUTH].store
    now = store.clock()
    # The provider's ID tokens live 300 s, the login 600 s: by the state store's clock
    # the token has expired (beyond the 30 s leeway) while the login is still pending.
    store.clock = lambda: now + 400
    answer = await back_at_gateway(client, callback)
    await refused_without_session(client, answer, 401, "expired")


# --- who gets which roles -----------------------------------------------------------------


async def test_a_user_the_provider_gives_no_gateway_role_is_403(sso: StartSso) -> None:
    client = await sso()
    callback = await at_provider(client, await begin(client), login="nobody")
    answer = await back_at_gateway(client, callback)
    await refused_without_session(client, answer, 403, "unknown user mapping")


async def test_configured_user_roles_admit_a_user_without_a_roles_claim(sso: StartSso) -> None:
    client = await sso(username_claim="email", user_roles={"nobody@example.org": ["reader"]})
    await logged_in(client, login="nobody")
    status, who = await me(client)
    assert status == 200, who
    assert (who["name"], who["roles"]) == ("nobody@example.org", ["reader"])
    assert all(b["methods"] == ["GET", "HEAD"] for b in who["backends"])


async def test_an_address_the_provider_did_not_verify_brings_nobodys_roles(
    sso: StartSso,
) -> None:
    # mallory typed in olga's address at the provider, which never verified it.
    client = await sso(username_claim="email", user_roles={"olga@example.org": ["admin"]})
    callback = await at_provider(client, await begin(client), login="mallory")
    answer = await back_at_gateway(client, callback)
    await refused_without_session(client, answer, 403, "not verified this user's email address")
    # olga herself, verified, gets her roles (in a browser mallory has not used).
    client.session.cookie_jar.clear()
    await logged_in(client, login="olga")
    status, who = await me(client)
    assert (status, who["name"], who["roles"]) == (200, "olga@example.org", ["admin"])


# --- refusals ---------------------------------------------------------------------------


async def test_a_wrong_client_secret_is_503_for_an_administrator_to_fix(sso: StartSso) -> None:
    client = await sso(client_secret="not-the-registered-secret-0123456789")
    callback = await at_provider(client, await begin(client))
    answer = await back_at_gateway(client, callback)
    await refused_without_session(client, answer, 503, "client_secret")
    assert "invalid_client" in (await answer.json())["detail"]


async def test_the_provider_refusing_the_login_is_401(sso: StartSso) -> None:
    client = await sso()
    callback = await at_provider(client, await begin(client), cancel=True)
    assert query_of(callback)["error"] == "access_denied"
    answer = await back_at_gateway(client, callback)
    await refused_without_session(client, answer, 401, "access_denied")
    # The login is over: its answer cannot be used again.
    assert (await back_at_gateway(client, callback)).status == 400


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(NAVIGATING, id="navigating"),
        pytest.param({"Accept": PAGE_ACCEPT}, id="browser-without-sec-fetch"),
    ],
)
async def test_a_browser_gets_a_refusal_as_a_page(sso: StartSso, headers: dict[str, str]) -> None:
    client = await sso()
    callback = await at_provider(client, await begin(client), cancel=True)
    answer = await back_at_gateway(client, callback, headers=headers)
    assert answer.status == 401
    assert answer.content_type == "text/html"
    page = await answer.text()
    assert "<h1>Unauthorized; authentication not provided</h1>" in page
    assert "the identity provider did not log you in: access_denied" in page
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Request-Id"] in page  # the incident to quote
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Location" not in answer.headers
    cleared = SimpleCookie()
    cleared.load(answer.headers["Set-Cookie"])
    assert cleared[PENDING]["max-age"] == "0"  # the login is over for a page as well
    assert (await me(client))[0] == 401


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-accept"),
        pytest.param({"Accept": "*/*", "Sec-Fetch-Mode": "cors"}, id="fetch"),
        pytest.param({"Accept": "application/json"}, id="json"),
    ],
)
async def test_other_clients_get_a_refusal_as_a_problem_document(
    sso: StartSso, headers: dict[str, str]
) -> None:
    client = await sso()
    callback = await at_provider(client, await begin(client), cancel=True)
    answer = await back_at_gateway(client, callback, headers=headers)
    await refused_without_session(client, answer, 401, "access_denied")


async def test_an_unreachable_provider_is_503(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client: Client = await unreachable_sso(gateway, make_config)
    answer = await client.get(START, params={"return_to": "/"}, allow_redirects=False)
    assert answer.status == 503
    assert "identity provider" in (await answer.json())["detail"]
    assert PENDING not in answer.cookies
    as_a_page = await client.get(START, headers=NAVIGATING, allow_redirects=False)
    assert (as_a_page.status, as_a_page.content_type) == (503, "text/html")
    assert "identity provider could not be reached" in await as_a_page.text()
