"""The login page of ``/auth/authorize`` in a real Chromium: its policy lets the form, the
style and the way on to the app work, and nothing else.

Chromium is Debian's (``make test`` installs it), driven by Playwright. The app is a small
server of the test's on a loopback port, where the browser lands with the code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from aiohttp import web
from playwright.async_api import Browser

from tests.support.fixtures import GatewayFactory
from tests.support.identities import USERS
from tests.support.oauth import answer_of, authorization, pkce

WAIT_MS = 5_000


async def test_a_person_logs_in_in_chromium_and_the_app_gets_its_code(
    gateway: GatewayFactory,
    chromium: Browser,
    upstream: Callable[[web.Application], Awaitable[str]],
) -> None:
    client = await gateway(user=None)
    base = str(client.make_url("")).rstrip("/")
    arrived: list[str] = []

    async def callback(request: web.Request) -> web.Response:
        arrived.append(str(request.url))
        return web.Response(text="<p>the app</p>", content_type="text/html")

    # The app listens on a port of its own on loopback, as a native app would (RFC 8252).
    app = web.Application()
    app.router.add_get("/callback", callback)
    redirect_uri = await upstream(app) + "/callback"
    page = await chromium.new_page()
    page.set_default_timeout(WAIT_MS)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    query = authorization(pkce()[1], redirect_uri=redirect_uri, scope="editor")
    await page.goto(base + "/auth/authorize?" + urlencode(query))
    # The one inline style holds (the policy allows it by hash): the form is laid out.
    assert await page.locator("#username").evaluate("e => getComputedStyle(e).display") == "block"
    await page.fill("#username", "editor")
    await page.fill("#password", "not-the-password")
    await page.click("button[type=submit]")
    await page.wait_for_selector("[role=alert]")
    assert await page.input_value("#username") == "editor"
    await page.fill("#password", USERS["editor"][0])
    await page.click("button[type=submit]")
    await page.wait_for_url(redirect_uri + "?*")
    [landed] = arrived
    answer = answer_of(landed)
    assert (answer["state"], answer["iss"]) == (query["state"], base)
    assert answer["code"]
    # Nothing the pages did was refused by their policy.
    assert not [p for p in problems if "Content Security Policy" in p], problems
    # Logged in now: the next request of the app asks the person first (a public app on a
    # loopback port), and their word sends the browser on to the app.
    await page.goto(base + "/auth/authorize?" + urlencode({**query, "state": "again"}))
    await page.get_by_role("button", name="Continue to media-app").click()
    await page.wait_for_url(redirect_uri + "?*state=again*")
    assert answer_of(arrived[-1])["state"] == "again"
    assert answer_of(arrived[-1])["code"]
    assert not [p for p in problems if "Content Security Policy" in p], problems
