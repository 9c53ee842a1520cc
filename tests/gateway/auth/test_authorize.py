"""The authorization endpoint: the login page, codes back to the client, and what it refuses."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from gateway.auth.login_page import policy
from gateway.web.statuses import STATUS_TABLE
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import USERS, auth_table, bearer
from tests.support.oauth import (
    APP,
    APP_REDIRECT,
    PORTAL,
    PORTAL_REDIRECT,
    Browser,
    answer_of,
    authorization,
    pkce,
)

PROBLEM = "application/problem+json"
HOSTILE = '"><script>alert(1)</script><a href="javascript:x">&amp;'


async def test_a_person_logs_in_and_the_client_gets_its_code(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    browser = Browser(client)
    _, challenge = pkce()
    query = authorization(challenge, scope="editor")
    page = await browser.authorize(query)
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    # Same-origin: a form post under no-referrer would carry "Origin: null" (see the test
    # in Chromium), and the login-CSRF guard could not tell it from another site's.
    assert page.headers["Referrer-Policy"] == "same-origin"
    policy = page.headers["Content-Security-Policy"]
    assert f"form-action 'self' {browser.origin};" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy
    assert "<script" not in page.text
    assert page.action == browser.base + "/auth/authorize"
    assert dict(page.fields) == {**query, "username": "", "password": ""}
    assert f"<strong>{APP}</strong> asks to act for you as editor" in page.text

    done = await browser.submit(page, "editor", USERS["editor"][0])
    assert done.status == 200
    assert done.headers["Cache-Control"] == "no-store"
    assert "halgw_session" in done.headers["Set-Cookie"]
    # Logging in for the app is the person's word: the page goes on to it with the code.
    assert done.refresh is not None
    assert done.refresh.startswith(APP_REDIRECT + "?")
    assert done.links == [done.refresh]
    answer = answer_of(done.refresh)
    assert answer.keys() == {"code", "state", "iss"}
    assert (answer["state"], answer["iss"]) == (query["state"], browser.base)
    assert len(answer["code"]) >= 43


def _portal(challenge: str, **more: str) -> dict[str, str]:
    return authorization(challenge, PORTAL, PORTAL_REDIRECT, **more)


async def test_a_browser_with_a_session_gets_a_confidential_clients_code_without_a_form(
    gateway: GatewayFactory,
) -> None:
    """A confidential client at an https URI: only it can redeem the code, with its secret."""
    client = await gateway(user=None)
    browser = Browser(client)
    await browser.log_in(_portal(pkce()[1]))
    # Another request of the portal, later: the person is still logged in.
    again = await browser.authorize(_portal(pkce()[1], state="second"))
    assert again.status == 307
    assert again.location.startswith(PORTAL_REDIRECT + "?")
    assert answer_of(again.location)["state"] == "second"
    assert "code" in answer_of(again.location)
    # A session of /auth/login is as good: it is the same gateway session.
    other = Browser(await gateway(user=None))
    login = await other.client.post(
        "/auth/login", json={"username": "reader", "password": USERS["reader"][0]}
    )
    assert login.status == 200
    page = await other.authorize(_portal(pkce()[1]))
    assert page.status == 307
    assert "code" in answer_of(page.location)


async def _logged_in(gateway: GatewayFactory, **config: Any) -> Browser:
    """A browser with a gateway session of the editor's, from /auth/login."""
    client = await gateway(**config, user=None)
    browser = Browser(client)
    login = await client.post(
        "/auth/login", json={"username": "editor", "password": USERS["editor"][0]}
    )
    assert login.status == 200
    return browser


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [
        pytest.param(APP, APP_REDIRECT, id="public-client-on-loopback"),
        pytest.param(APP, "com.example.media:/oauth/callback", id="public-client-app-scheme"),
        pytest.param("desk", "http://127.0.0.1/desk", id="confidential-client-on-loopback"),
    ],
)
async def test_a_session_gets_no_code_for_an_app_without_the_persons_word(
    gateway: GatewayFactory, make_config: ConfigFactory, client_id: str, redirect_uri: str
) -> None:
    """Any app on the machine can listen on a loopback port or own a scheme, and any page
    can send a logged-in browser here with that app's challenge (RFC 8252 8.6)."""
    desk = {**auth_table()["clients"][2], "client_id": "desk", "redirect_uris": [redirect_uri]}
    config = make_config(auth=auth_table(clients=[*auth_table()["clients"], desk]))
    browser = await _logged_in(gateway, config=config)
    query = authorization(pkce()[1], client_id, redirect_uri, scope="editor", state=HOSTILE)
    page = await browser.authorize(query)
    assert page.status == 200
    assert "Location" not in page.headers
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Content-Security-Policy"] == policy(browser.base)
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in page.text
    assert f"<h1>Continue to {client_id}?</h1>" in page.text
    assert "logged in as <strong>editor</strong>" in page.text
    assert page.action == browser.base + "/auth/authorize/consent"
    me = await (await browser.client.get("/auth/me")).json()
    assert dict(page.fields) == {**query, "csrf_token": me["csrf_token"]}
    done = await browser.consent(page)
    assert done.status == 200
    assert done.refresh is not None
    assert done.refresh.startswith(redirect_uri + "?")
    answer = answer_of(done.refresh)
    assert answer.keys() == {"code", "state", "iss"}
    assert answer["state"] == HOSTILE


async def test_a_person_who_cancels_sends_the_app_access_denied(gateway: GatewayFactory) -> None:
    browser = await _logged_in(gateway)
    page = await browser.authorize(authorization(pkce()[1]))
    done = await browser.consent(page, "deny")
    assert done.status == 200
    assert done.refresh is not None
    answer = answer_of(done.refresh)
    assert answer["error"] == "access_denied"
    assert "code" not in answer


@pytest.mark.parametrize(
    ("headers", "csrf"),
    [
        pytest.param(
            {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
            None,
            id="cross-site",
        ),
        pytest.param({"Sec-Fetch-Site": "same-site"}, None, id="sibling-site"),
        pytest.param({}, "not-the-sessions-token", id="another-csrf-token"),
        pytest.param({}, "", id="no-csrf-token"),
    ],
)
async def test_a_consent_not_sent_from_the_sessions_own_page_is_refused(
    gateway: GatewayFactory, headers: dict[str, str], csrf: str | None
) -> None:
    browser = await _logged_in(gateway)
    page = await browser.authorize(authorization(pkce()[1]))
    fields = [(k, csrf if k == "csrf_token" and csrf is not None else v) for k, v in page.fields]
    refused = await browser.post_form(page, [*fields, ("decision", "allow")], **headers)
    assert refused.status == 403
    assert refused.refresh is None
    assert "code=" not in refused.text


async def test_a_consent_after_the_session_ended_shows_the_login_form(
    gateway: GatewayFactory,
) -> None:
    browser = await _logged_in(gateway)
    page = await browser.authorize(authorization(pkce()[1]))
    me = await (await browser.client.get("/auth/me")).json()
    logout = await browser.client.post("/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]})
    assert logout.status == 204
    again = await browser.consent(page)
    assert again.status == 200
    assert again.action == browser.base + "/auth/authorize"
    assert ("password", "") in again.fields
    assert again.refresh is None


async def test_a_bearer_token_is_no_browser_login(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    browser = Browser(client)
    page = await browser.authorize(authorization(pkce()[1]), **bearer(client.app, "editor"))
    assert page.status == 200
    assert page.action is not None


def _query(**changes: str | None) -> dict[str, str]:
    query = authorization("c" * 43)
    query.update({k: v for k, v in changes.items() if v is not None})
    return {k: v for k, v in query.items() if changes.get(k, "") is not None}


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        pytest.param(_query(client_id=None), "client_id is missing", id="no-client"),
        pytest.param(_query(client_id="nobody"), "no client 'nobody'", id="unknown-client"),
        pytest.param(_query(redirect_uri=None), "redirect_uri is missing", id="no-redirect-uri"),
        pytest.param(
            _query(redirect_uri="https://evil.example/callback"),
            "not one registered for client 'media-app'",
            id="unregistered-redirect-uri",
        ),
        pytest.param(
            _query(redirect_uri=APP_REDIRECT + "/more"),
            "not one registered",
            id="registered-uri-plus-a-path",
        ),
        pytest.param(
            _query(redirect_uri="http://localhost:53682/callback"),
            "not one registered",
            id="loopback-by-another-name",
        ),
        pytest.param(
            _query(redirect_uri=PORTAL_REDIRECT),
            "not one registered",
            id="another-clients-redirect-uri",
        ),
        pytest.param(
            _query(client_id="ingest-bot", redirect_uri=PORTAL_REDIRECT),
            "not one registered for client 'ingest-bot'",
            id="client-without-redirect-uris",
        ),
    ],
)
async def test_a_bad_client_or_redirect_uri_is_a_400_and_never_a_redirect(
    gateway: GatewayFactory, query: dict[str, str], detail: str
) -> None:
    client = await gateway(user=None)
    response = await client.get("/auth/authorize", params=query, allow_redirects=False)
    assert response.status == 400
    assert "Location" not in response.headers
    assert response.content_type == PROBLEM
    assert detail in (await response.json())["detail"]
    # A browser gets the same as a page.
    page = await Browser(client).authorize(query)
    assert (page.status, page.headers["Content-Type"]) == (400, "text/html; charset=utf-8")
    assert "Location" not in page.headers
    assert html.escape(detail) in page.text
    assert page.action is None


async def test_a_repeated_client_id_is_refused_without_a_redirect(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    query = urlencode(authorization("c" * 43)) + f"&client_id={PORTAL}"
    response = await client.get("/auth/authorize?" + query, allow_redirects=False)
    assert response.status == 400
    assert "more than once" in (await response.json())["detail"]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit"),
        pytest.param({"response_type": None}, "invalid_request", id="no-response-type"),
        pytest.param(
            {"code_challenge": None, "code_challenge_method": None},
            "invalid_request",
            id="missing-pkce",
        ),
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="plain-method"),
        pytest.param({"code_challenge_method": None}, "invalid_request", id="no-method"),
        pytest.param({"code_challenge": "short"}, "invalid_request", id="short-challenge"),
        pytest.param({"scope": "owner"}, "invalid_scope", id="unknown-scope"),
        pytest.param({"scope": "admin"}, "invalid_scope", id="scope-beyond-the-client"),
    ],
)
async def test_other_errors_go_back_to_the_client(
    gateway: GatewayFactory, changes: dict[str, str | None], error: str
) -> None:
    """RFC 6749 4.1.2.1: the redirect URI holds, so the client hears of it, with its state."""
    client = await gateway(user=None)
    query = _query(**changes)
    response = await client.get("/auth/authorize", params=query, allow_redirects=False)
    assert response.status == 307
    location = response.headers["Location"]
    assert location.startswith(APP_REDIRECT + "?")
    answer = answer_of(location)
    assert answer["error"] == error
    assert answer["state"] == query["state"]
    assert answer["iss"] == str(client.make_url("")).rstrip("/")
    assert answer["error_description"]
    assert "code" not in answer


async def test_a_redirect_uri_with_a_query_keeps_it(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    redirect = "https://kiosk.example.org/cb?tenant=7"
    app = {"client_id": "kiosk", "public": True, "roles": ["reader"], "redirect_uris": [redirect]}
    config = make_config(auth=auth_table(clients=[*auth_table()["clients"], app]))
    client = await gateway(config, user=None)
    query = authorization(pkce()[1], client_id="kiosk", redirect_uri=redirect)
    location = await Browser(client).log_in(query, "reader")
    assert location.startswith("https://kiosk.example.org/cb?tenant=7&code=")
    assert answer_of(location)["tenant"] == "7"


@pytest.mark.parametrize(
    ("user", "scope", "error"),
    [
        pytest.param("reader", "editor", "invalid_scope", id="scope-beyond-the-users-roles"),
        pytest.param("reader", "reader editor", "invalid_scope", id="partly-beyond"),
    ],
)
async def test_a_scope_wider_than_the_users_roles_goes_back_as_invalid_scope(
    gateway: GatewayFactory, user: str, scope: str, error: str
) -> None:
    client = await gateway(user=None)
    location = await Browser(client).log_in(authorization(pkce()[1], scope=scope), user)
    answer = answer_of(location)
    assert answer["error"] == error
    assert "code" not in answer


async def test_a_wrong_password_shows_the_form_again_with_a_401(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    browser = Browser(client)
    query = authorization(pkce()[1])
    page = await browser.authorize(query)
    wrong = await browser.submit(page, "editor", "not-the-password")
    assert wrong.status == 401
    assert wrong.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Set-Cookie" not in wrong.headers
    assert 'role="alert">The user name or the password is wrong.' in wrong.text
    assert ("username", "editor") in wrong.fields
    assert ("password", "") in wrong.fields  # never sent back
    assert "not-the-password" not in wrong.text
    assert {k: v for k, v in wrong.fields if k in query} == query
    # The form of the 401 page logs in.
    right = await browser.submit(wrong, "editor", USERS["editor"][0])
    assert right.status == 200
    assert right.refresh is not None


async def test_a_wrong_password_from_a_script_is_a_problem(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    form = {**authorization(pkce()[1]), "username": "editor", "password": "wrong"}
    response = await client.post("/auth/authorize", data=form)
    assert response.status == 401
    assert response.content_type == PROBLEM
    assert (await response.json())["detail"] == "the user name or the password is wrong"


async def test_failed_logins_on_the_form_are_throttled(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(auth=auth_table(login_attempts=2)), user=None)
    browser = Browser(client)
    page = await browser.authorize(authorization(pkce()[1]))
    for _ in range(2):
        page = await browser.submit(page, "editor", "wrong-password")
        assert page.status == 401
    refused = await browser.submit(page, "editor", USERS["editor"][0])
    assert refused.status == 429
    assert 429 in STATUS_TABLE
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Set-Cookie" not in refused.headers


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(
            {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, id="cross-site"
        ),
        pytest.param({"Origin": "https://evil.example"}, id="other-origin-old-browser"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="sibling-site"),
    ],
)
async def test_a_login_posted_from_another_site_is_refused(
    gateway: GatewayFactory, headers: dict[str, str]
) -> None:
    client = await gateway(user=None)
    browser = Browser(client)
    page = await browser.authorize(authorization(pkce()[1]))
    refused = await browser.submit(page, "editor", USERS["editor"][0], **headers)
    assert refused.status == 403
    assert "Set-Cookie" not in refused.headers
    assert "another site" in refused.text
    # Nothing was logged in: the next request shows the form again.
    assert (await browser.authorize(authorization(pkce()[1]))).status == 200


async def test_a_form_that_no_login_page_made_is_a_400(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    form = {**authorization(pkce()[1], code_challenge_method="plain"), "username": "editor"}
    form["password"] = USERS["editor"][0]
    response = await client.post("/auth/authorize", data=form, allow_redirects=False)
    assert response.status == 400
    assert "Location" not in response.headers
    assert "S256" in (await response.json())["detail"]


async def test_reflected_values_are_escaped(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    browser = Browser(client)
    query = authorization(pkce()[1], state=HOSTILE)
    page = await browser.authorize(query)
    assert page.status == 200
    assert "<script>" not in page.text
    assert '<a href="javascript' not in page.text
    assert ("state", HOSTILE) in page.fields  # escaped in the page, the same value sent back
    wrong = await browser.submit(page, HOSTILE, "wrong-password")
    assert "<script>" not in wrong.text
    assert ("username", HOSTILE) in wrong.fields
    done = await browser.submit(wrong, "editor", USERS["editor"][0])
    assert "<script>" not in done.text
    assert done.refresh is not None
    assert answer_of(done.refresh)["state"] == HOSTILE
    unknown = await browser.authorize(authorization(pkce()[1], client_id=HOSTILE))
    assert unknown.status == 400
    assert "<script>" not in unknown.text
    assert html.escape(HOSTILE) in unknown.text


async def test_the_page_links_the_single_sign_on_login_that_comes_back_here(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    oidc = {
        "issuer": "https://login.example.org",
        "audience": "gw",
        "jwks_url": "https://login.example.org/certs",
        "client_id": "hal-gateway",
    }
    config = make_config(auth=auth_table(oidc=oidc), server={"public_url": "http://gw.test/media"})
    client = await gateway(config, user=None)
    query = authorization(pkce()[1])
    page = await Browser(client).authorize(query)
    assert page.status == 200
    [sso] = [link for link in page.links if "/auth/login/oidc" in link]
    target = urlsplit(sso)
    assert (
        f"{target.scheme}://{target.netloc}{target.path}" == "http://gw.test/media/auth/login/oidc"
    )
    [(name, back)] = parse_qsl(target.query)
    assert name == "return_to"
    assert back.startswith("/media/auth/authorize?")
    assert dict(parse_qsl(urlsplit(back).query)) == query
    # Without single sign-on there is no such link.
    plain = await Browser(await gateway(user=None)).authorize(query)
    assert not [link for link in plain.links if "oidc" in link]


@pytest.mark.parametrize(
    "accept",
    [
        pytest.param("application/json", id="json"),
        pytest.param(PROBLEM, id="problem-json"),
        pytest.param("application/json, text/plain;q=0.5", id="json-first"),
    ],
)
async def test_a_client_that_asks_for_json_gets_the_problem_document(
    gateway: GatewayFactory, accept: str
) -> None:
    client = await gateway(user=None)
    response = await client.get(
        "/auth/authorize",
        params=authorization(pkce()[1], client_id="nobody"),
        headers={"Accept": accept},
        allow_redirects=False,
    )
    assert (response.status, response.content_type) == (400, PROBLEM)
    assert "no client 'nobody'" in (await response.json())["detail"]


@pytest.mark.parametrize(
    ("registered", "expected"),
    [
        pytest.param("https://kiosk.example.org/cb?tenant=7", "cb?tenant=7&code=", id="a-query"),
        pytest.param("https://kiosk.example.org/cb?", "cb?code=", id="an-empty-query"),
    ],
)
async def test_the_answer_is_added_to_a_registered_query(
    gateway: GatewayFactory, make_config: ConfigFactory, registered: str, expected: str
) -> None:
    kiosk = {**auth_table()["clients"][2], "client_id": "kiosk", "redirect_uris": [registered]}
    config = make_config(auth=auth_table(clients=[*auth_table()["clients"], kiosk]))
    browser = await _logged_in(gateway, config=config)
    query = authorization(pkce()[1], client_id="kiosk", redirect_uri=registered)
    page = await browser.authorize(query)
    assert page.status == 307
    assert page.location.startswith("https://kiosk.example.org/" + expected)


@pytest.mark.parametrize(
    ("repeated", "named"),
    [
        pytest.param("state", "state", id="a-parameter-of-the-request"),
        pytest.param("x\r\nforged log line", None, id="a-name-of-the-senders"),
    ],
)
async def test_only_the_requests_own_repeated_parameters_are_named(
    gateway: GatewayFactory,
    caplog: pytest.LogCaptureFixture,
    repeated: str,
    named: str | None,
) -> None:
    client = await gateway(user=None)
    query = urlencode(authorization("c" * 43)) + "&" + urlencode([(repeated, "1"), (repeated, "2")])
    response = await client.get("/auth/authorize?" + query, allow_redirects=False)
    # The gateway's own lines (the access log quotes the request line, encoded).
    assert not [
        r for r in caplog.records if r.name.startswith("gateway") and "forged" in r.getMessage()
    ]
    if named is None:  # an unknown parameter is ignored (RFC 6749 3.1), twice or not
        assert response.status == 200
        return
    assert response.status == 307
    assert answer_of(response.headers["Location"])["error_description"].endswith(named)


async def test_admins_see_which_clients_are_public_and_where_their_codes_go(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user="admin")
    body = await (await client.get("/admin")).json()
    clients = {c["client_id"]: c for c in body["clients"]}
    assert (clients[APP]["public"], clients[APP]["redirect_uris"][0]) == (
        True,
        "http://127.0.0.1/callback",
    )
    assert (clients[PORTAL]["public"], clients[PORTAL]["redirect_uris"]) == (
        False,
        [PORTAL_REDIRECT],
    )
    assert clients["ingest-bot"]["redirect_uris"] == []
    assert "$scrypt$" not in str(body)
