"""Single sign-on in the suite: a real OpenID Connect provider on loopback, and a browser.

The provider is panva's oidc-provider (``tests/node/oidc-provider.mjs``, from the npm
registry; ``make test`` runs ``npm ci`` there), with its own login and consent forms.
The test is the browser: one cookie jar for the gateway and the provider, redirects
followed by hand, the provider's forms read and submitted as a person would.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import auth_table

NODE: Final = Path(__file__).resolve().parents[1] / "node"
CLIENT_ID: Final = "hal-gateway"
CLIENT_SECRET: Final = "sso-client-secret-0123456789abcdef"
START: Final = "/auth/login/oidc"
CALLBACK: Final = START + "/callback"
COOKIE: Final = "halgw_session"
PENDING: Final = COOKIE + "_sso"
UNREACHABLE: Final = "http://127.0.0.1:9/realms/none"
"""An issuer nobody answers at: for what the gateway refuses before asking it anything."""
Client = TestClient[Any, Any]


class Provider:
    """The oidc-provider process: its issuer URL, and the gateway's client registered."""

    def __init__(self, proc: asyncio.subprocess.Process, issuer: str) -> None:
        self.proc = proc
        self.issuer = issuer

    async def register(self, *gateway_bases: str, **options: Any) -> None:
        """Register the gateway (now that its port is known; several processes of one
        gateway, each at its own) and wait until the provider serves."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        client = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [b + CALLBACK for b in gateway_bases],
            "post_logout_redirect_uris": [b + "/" for b in gateway_bases],
            **options,
        }
        self.proc.stdin.write(json.dumps(client).encode() + b"\n")
        await self.proc.stdin.drain()
        ready = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        assert ready.strip() == b"ready", ready


@pytest.fixture
async def provider(tmp_path: Path) -> AsyncIterator[Provider]:
    """A running oidc-provider; stopped (stdin closed, else killed) after the test."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; `make test` installs it (Debian's nodejs)")
    if not (NODE / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(f"oidc-provider is not installed: run `npm ci` in {NODE} (`make test` does)")
    log = (tmp_path / "oidc-provider.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        node,
        str(NODE / "oidc-provider.mjs"),
        cwd=NODE,
        env={**os.environ, "NODE_ENV": "test"},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    try:
        assert proc.stdout is not None
        issuer = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        assert issuer.startswith("http://127.0.0.1:"), (tmp_path / "oidc-provider.log").read_text()
        yield Provider(proc, issuer)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        log.close()


StartSso = Callable[..., Awaitable[Client]]


@pytest.fixture
def sso(gateway: GatewayFactory, make_config: ConfigFactory, provider: Provider) -> StartSso:
    """``start(**oidc)``: a gateway logging in through the provider, no login of its own sent.

    ``auth_method`` and ``end_session`` go to the provider's client, ``server`` to
    ``[server]``, the other keywords to ``[auth.oidc]``.
    """

    async def start(
        *,
        auth_method: str = "client_secret_basic",
        end_session: bool = True,
        server: dict[str, Any] | None = None,
        **changes: Any,
    ) -> Client:
        oidc = {
            "issuer": provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": "${SSO_CLIENT_SECRET}",
            "username_claim": "preferred_username",
            **changes,
        }
        config = make_config(
            server=server, auth=auth_table(oidc=oidc), env={"SSO_CLIENT_SECRET": CLIENT_SECRET}
        )
        client = await gateway(config, user=None)
        await provider.register(base(client), auth_method=auth_method, end_session=end_session)
        return client

    return start


async def unreachable_sso(gateway: GatewayFactory, make_config: ConfigFactory) -> Client:
    """A gateway whose single sign-on issuer never answers."""
    oidc = {"issuer": UNREACHABLE, "client_id": CLIENT_ID}
    return await gateway(make_config(auth=auth_table(oidc=oidc)), user=None)


def base(client: Client) -> str:
    """The gateway's base URL."""
    return str(client.make_url("")).rstrip("/")


class Page(HTMLParser):
    """The forms (action, fields) and link targets of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}))
        elif tag in ("input", "button") and self.forms and "name" in found:
            self.forms[-1][1][found["name"]] = found.get("value", "")
        elif tag == "a" and "href" in found:
            self.links.append(found["href"])


async def through_provider(
    session: aiohttp.ClientSession,
    url: str,
    *,
    until: str,
    login: str = "maria",
    cancel: bool = False,
) -> str:
    """Be the browser at the provider from ``url`` until it sends us to ``until...``.

    Redirects are followed and forms submitted (the login form with ``login``); with
    ``cancel`` the person cancels on the first page instead.
    """
    method, data = "GET", None
    for _ in range(20):
        async with session.request(method, url, data=data, allow_redirects=False) as answer:
            body = await answer.text()
            location = answer.headers.get("Location")
        if location is not None:
            target = urljoin(url, location)
            if target.startswith(until):
                return target
            method, data, url = "GET", None, target
            continue
        assert answer.status == 200, (answer.status, body[:500])
        page = Page(body)
        if cancel:
            method, data, url = (
                "GET",
                None,
                urljoin(url, next(h for h in page.links if "abort" in h)),
            )
            continue
        action, fields = page.forms[0]
        if "login" in fields:
            fields.update(login=login, password="whatever the person types")
        method, data, url = "POST", fields, urljoin(url, action)
    pytest.fail(f"the provider never sent the browser to {until}")


def query_of(url: str) -> dict[str, str]:
    """The query parameters of ``url``, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str) -> str:
    """``url`` with query parameters changed or added."""
    parts = urlsplit(url)
    query = {**query_of(url), **changes}
    return urlunsplit(parts._replace(query=urlencode(query)))


def without_query(url: str, name: str) -> str:
    """``url`` without the query parameter ``name``."""
    parts = urlsplit(url)
    query = {k: v for k, v in query_of(url).items() if k != name}
    return urlunsplit(parts._replace(query=urlencode(query)))


async def begin(client: Client, return_to: str | None = None) -> str:
    """Start a login at the gateway; the provider's authorization URL it sends us to."""
    params = {} if return_to is None else {"return_to": return_to}
    answer = await client.get(START, params=params, allow_redirects=False)
    assert answer.status == 307, await answer.text()
    return answer.headers["Location"]


async def at_provider(client: Client, authorize: str, **kwargs: Any) -> str:
    """The callback URL the provider sends the browser back to from ``authorize``."""
    return await through_provider(
        client.session, authorize, until=base(client) + CALLBACK, **kwargs
    )


async def back_at_gateway(client: Client, callback: str, **kwargs: Any) -> aiohttp.ClientResponse:
    """The gateway's answer to the provider's redirect."""
    answer = await client.session.get(callback, allow_redirects=False, **kwargs)
    await answer.read()
    return answer


async def logged_in(client: Client, *, return_to: str | None = None, login: str = "maria") -> str:
    """A whole login; where the gateway sends the browser at its end."""
    callback = await at_provider(client, await begin(client, return_to), login=login)
    answer = await back_at_gateway(client, callback)
    assert answer.status == 307, await answer.text()
    return answer.headers["Location"]


async def me(client: Client) -> tuple[int, dict[str, Any]]:
    """``/auth/me`` for the browser's cookies: its status and document."""
    answer = await client.get("/auth/me")
    return answer.status, await answer.json()


async def csrf(client: Client) -> str:
    """The CSRF token of the browser's gateway session."""
    status, who = await me(client)
    assert status == 200, who
    return str(who["csrf_token"])


async def refused_without_session(
    client: Client, answer: aiohttp.ClientResponse, status: int, words: str
) -> None:
    """``answer`` is a problem document of ``status`` saying ``words``; no session began."""
    assert answer.status == status
    assert answer.content_type == "application/problem+json"
    problem = await answer.json()
    assert words in problem["detail"], problem
    assert "Location" not in answer.headers
    assert COOKIE not in answer.cookies  # no session was started
    assert (await me(client))[0] == 401
