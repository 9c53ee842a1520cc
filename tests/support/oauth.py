"""OAuth in the suite: PKCE pairs, a web browser that logs in at ``/auth/authorize``, and
the token endpoint's answers.

:class:`Browser` does what a browser does and nothing more: it sends cookies, asks for
HTML, says where a form post comes from (``Origin``, ``Sec-Fetch-Site``), submits the
form of the page it got with the hidden fields as they were, and follows a page's
``<meta http-equiv="refresh">`` on the gateway. It never goes to the client: the test
reads where the gateway sends it (a ``Location``, or the target of a page that goes on)
instead, as the client's own page would get it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
from aiohttp.test_utils import TestClient

from tests.support.identities import CLIENTS, REDIRECT_URIS, USERS

PAGE_ACCEPT: Final = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
"""What a browser asks for when it navigates."""
APP: Final = "media-app"
"""The public client: a browser app on the user's machine."""
APP_REDIRECT: Final = "http://127.0.0.1:53682/callback"
"""A port of the app's choosing on its registered loopback URI (RFC 8252 7.3)."""
PORTAL: Final = "media-portal"
"""The confidential client: a web app with a secret."""
PORTAL_SECRET: Final = CLIENTS[PORTAL][0]
PORTAL_REDIRECT: Final = REDIRECT_URIS[PORTAL][0]


def pkce() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636 4.1, 4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorization(
    challenge: str, client_id: str = APP, redirect_uri: str = APP_REDIRECT, **more: str
) -> dict[str, str]:
    """The parameters of an authorization request, ``more`` added (or replacing)."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "state-" + secrets.token_hex(4),
    }
    query.update(more)
    return query


def answer_of(location: str) -> dict[str, str]:
    """The query parameters the gateway sends the client back with."""
    return dict(parse_qsl(urlsplit(location).query))


class _Parsed(HTMLParser):
    """The one form of a page (action, fields), its refresh target and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: list[tuple[str, str]] = []
        self.refresh: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = found.get("action")
        elif tag == "input" and "name" in found:
            self.fields.append((found["name"], found.get("value", "")))
        elif tag == "meta" and found.get("http-equiv", "").lower() == "refresh":
            self.refresh = found.get("content", "").split("url=", 1)[1]
        elif tag == "a" and "href" in found:
            self.links.append(found["href"])


@dataclass
class Page:
    """An answer as a browser sees it."""

    status: int
    headers: Any
    text: str
    action: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    refresh: str | None = None
    links: list[str] = field(default_factory=list)

    @property
    def location(self) -> str:
        """Where a redirect sends the browser."""
        return str(self.headers["Location"])


class Browser:
    """A web browser in front of the gateway ``client`` (its cookie jar is the browser's)."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.base = str(client.make_url("")).rstrip("/")
        parts = urlsplit(self.base)
        self.origin = f"{parts.scheme}://{parts.netloc}"

    async def _page(self, response: aiohttp.ClientResponse) -> Page:
        text = await response.text()
        page = Page(response.status, response.headers, text)
        if response.content_type == "text/html":
            parsed = _Parsed()
            parsed.feed(text)
            page.action, page.fields = parsed.action, parsed.fields
            page.refresh, page.links = parsed.refresh, parsed.links
        return page

    async def open(self, url: str, **headers: str) -> Page:
        """Navigate to ``url`` (absolute, or a path of the gateway's)."""
        target = url if "://" in url else self.base + url
        async with self.client.session.get(
            target, headers={"Accept": PAGE_ACCEPT, **headers}, allow_redirects=False
        ) as response:
            return await self._page(response)

    async def authorize(self, query: dict[str, str], **headers: str) -> Page:
        """Open the authorization request of ``query``."""
        return await self.open("/auth/authorize?" + urlencode(query), **headers)

    async def submit(self, page: Page, username: str, password: str, **headers: str) -> Page:
        """Fill in the page's login form and send it, as a browser on the gateway's page."""
        fields = [(k, v) for k, v in page.fields if k not in ("username", "password")]
        fields += [("username", username), ("password", password)]
        return await self.post_form(page, fields, **headers)

    async def consent(self, page: Page, decision: str = "allow", **headers: str) -> Page:
        """Press a button of the page's consent form: ``allow`` or ``deny``."""
        return await self.post_form(page, [*page.fields, ("decision", decision)], **headers)

    async def post_form(self, page: Page, fields: list[tuple[str, str]], **headers: str) -> Page:
        """Send the page's form with ``fields``, as a browser on the gateway's page."""
        assert page.action is not None, page.text
        sent = {
            "Accept": PAGE_ACCEPT,
            "Origin": self.origin,
            "Sec-Fetch-Site": "same-origin",
            "Content-Type": "application/x-www-form-urlencoded",
            **headers,
        }
        async with self.client.session.post(
            page.action, data=urlencode(fields), headers=sent, allow_redirects=False
        ) as response:
            return await self._page(response)

    async def log_in(self, request: dict[str, str] | str, user: str = "editor") -> str:
        """The whole way of a person: the authorization request (its parameters, or its
        URL as a client made it), the login form or, logged in already, the consent form,
        on to the client; where the gateway sends the browser."""
        page = await (self.open(request) if isinstance(request, str) else self.authorize(request))
        if page.status == 307:
            return page.location
        assert page.status == 200, page.text
        if is_consent(page):
            page = await self.consent(page)
        else:
            page = await self.submit(page, user, USERS[user][0])
        assert page.status == 200, page.text
        assert page.refresh is not None, page.text
        return page.refresh


def is_consent(page: Page) -> bool:
    """Whether ``page`` asks a logged-in person to let the client in."""
    return page.action is not None and page.action.endswith("/auth/authorize/consent")


async def token_request(
    client: TestClient[Any, Any], form: dict[str, str], **headers: str
) -> tuple[int, dict[str, Any]]:
    """POST ``form`` to the token endpoint: the status and the JSON body."""
    response = await client.post("/auth/token", data=form, headers=headers)
    return response.status, await response.json()


def redemption(code: str, verifier: str, client_id: str = APP, **more: str) -> dict[str, str]:
    """The form that redeems ``code`` (a public client names itself; add client_secret)."""
    redirect = PORTAL_REDIRECT if client_id == PORTAL else APP_REDIRECT
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
        "code_verifier": verifier,
        "client_id": client_id,
    }
    if client_id == PORTAL:
        form["client_secret"] = PORTAL_SECRET
    form.update(more)
    return form


async def tokens_for(
    client: TestClient[Any, Any], browser: Browser, user: str = "editor", **query: str
) -> dict[str, Any]:
    """Log ``user`` in through the public app and redeem the code: the token answer."""
    verifier, challenge = pkce()
    location = await browser.log_in(authorization(challenge, **query), user)
    status, body = await token_request(client, redemption(answer_of(location)["code"], verifier))
    assert status == 200, body
    return body
