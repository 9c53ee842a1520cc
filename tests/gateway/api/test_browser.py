"""The HAL browser: its page and files, and a person using it in a real Chromium.

Chromium is Debian's (``make test`` installs the ``chromium`` package where missing),
driven by Playwright; Playwright never downloads a browser here. The gateway serves one
simulated backend of every kind on a loopback port, and the page is used as a person
would: logging in through its form, clicking links, filling in forms.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, expect

from gateway.web.security import BROWSER_POLICY
from tests.support.fixtures import EVERY_KIND, ConfigFactory, GatewayFactory
from tests.support.navigator import HAL, Navigator

WAIT_MS = 5_000
"""The longest any step waits for the page (Playwright's timeouts)."""
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
STATUS_ONLY = re.compile(r"^Failed to load resource: the server responded with a status of \d+")
"""Chromium's console line for an answer of 4xx or 5xx: the page asked for those."""


@pytest.fixture
async def client(gateway: GatewayFactory, make_config: ConfigFactory) -> TestClient[Any, Any]:
    """A gateway with one simulated backend of every kind, for nobody in particular."""
    return await gateway(make_config(backends=EVERY_KIND), user=None)


async def test_the_page_and_its_files_come_from_the_gateway_with_a_strict_policy(
    client: TestClient[Any, Any],
) -> None:
    nav = Navigator(client)
    root = await nav.root()  # anonymous: the browser is how a person logs in
    page = Navigator.link(root, "gw:browser")
    assert page["type"] == "text/html"
    response = await client.session.get(page["href"], headers={"Accept": BROWSER_ACCEPT})
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Content-Security-Policy"] == BROWSER_POLICY
    policy = dict(d.strip().split(" ", 1) for d in BROWSER_POLICY.split(";"))
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert "unsafe" not in BROWSER_POLICY
    html = await response.text()
    for href, media_type in (
        ("browser/browser.js", "text/javascript"),
        ("browser/browser.css", "text/css"),
    ):
        assert f'"{href}"' in html
        asset = await client.get("/" + href)
        assert asset.status == 200
        assert asset.content_type == media_type
        assert await asset.read()
    assert "<script>" not in html  # nothing inline: every script and style is a file
    assert "style=" not in html


@pytest.mark.parametrize(
    ("accept", "redirected"),
    [
        pytest.param(BROWSER_ACCEPT, True, id="a-browser"),
        pytest.param("text/html", True, id="html"),
        pytest.param("*/*", False, id="curl"),
        pytest.param(None, False, id="no-accept"),
        pytest.param(HAL, False, id="hal-client"),
    ],
)
async def test_a_browser_asking_for_the_root_is_sent_to_the_hal_browser(
    client: TestClient[Any, Any], accept: str | None, redirected: bool
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/", headers=headers, allow_redirects=False)
    if redirected:
        assert response.status == 307
        assert response.headers["Location"] == str(client.make_url("/browser#/"))
        assert "Accept" in response.headers["Vary"]
    else:
        assert response.status == 200
        assert response.content_type == HAL


async def _row_link(page: Page, rel: str, text: str | None = None) -> None:
    """Click the link of ``rel`` (the row holding ``text``) in the resource's links."""
    row = page.locator(f'section.resource > table.links tr[data-rel="{rel}"]')
    if text is not None:
        row = row.filter(has_text=text)
    await row.first.locator("td.href a").click()


async def _expand(page: Page, rel: str, **values: str) -> None:
    """Fill in the form of the templated link ``rel`` and follow it."""
    form = page.locator(f'section.resource > table.links form.expand[data-rel="{rel}"]')
    for name, value in values.items():
        await form.locator(f'input[name="{name}"]').fill(value)
    await form.get_by_role("button", name="Go").click()


async def _shows(page: Page, path: str, status: int) -> None:
    """Wait until the page shows the answer to ``path`` (a part of its URL) with ``status``."""
    await expect(page.locator("#status")).to_contain_text(path)
    await expect(page.locator("#status")).to_contain_text(f"→ {status} ")


async def test_a_person_logs_in_walks_searches_creates_and_sees_problems(
    client: TestClient[Any, Any], chromium: Browser
) -> None:
    context = await chromium.new_context()
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and not STATUS_ONLY.match(m.text) else None
        ),
    )
    await page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " (window.violations ||= []).push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    try:
        # The root, opened in a browser, is the HAL browser; it asks to log in.
        await page.goto(str(client.make_url("/")))
        assert page.url.endswith("/browser#/")
        await expect(page.locator("#login")).to_be_visible()
        await page.fill("#username", "editor")
        await page.fill("#password", "editor-password")
        await page.click("#login-form button")
        await expect(page.locator("#who")).to_have_text("editor (editor)")
        await expect(page.locator("#login")).to_be_hidden()

        # root -> a backend -> its media objects -> one of them, by links.
        await _row_link(page, "gw:backend", "avalon")
        await _shows(page, "/backends/avalon", 200)
        await _expand(page, "avalon:media-objects")
        await _shows(page, "/backends/avalon/media-objects", 200)
        item = page.locator('details[data-rel="avalon:media-object"]').first
        await item.locator(":scope > summary").click()
        await item.locator(':scope > section > table.links tr[data-rel="self"] td.href a').click()
        await _shows(page, "/backends/avalon/media-objects/", 200)
        await expect(
            page.locator('section.resource > table.properties tr[data-property="title"]')
        ).to_be_visible()
        item_url = page.url

        # A templated search from the root.
        await page.click("header h1 a")
        await _shows(page, "/ ", 200)
        await _expand(page, "gw:assets", q="interview")
        await _shows(page, "/assets?q=interview", 200)
        found = page.locator('details[data-rel="gw:asset"] > summary')
        await expect(found.first).to_contain_text(re.compile("interview", re.IGNORECASE))

        # Back keeps the way, and a reload keeps the place.
        await page.go_back()
        await _shows(page, "/ ", 200)
        await page.go_back()
        assert page.url == item_url
        await page.reload()
        await _shows(page, "/backends/avalon/media-objects/", 200)

        # A resource created from its HAL-FORMS form, then shown.
        await page.click("header h1 a")
        await _row_link(page, "gw:backend", "flex")
        await _expand(page, "flex:assets")
        form = page.locator('form.template[data-template="default"]')
        await expect(form).to_contain_text("POST")
        await form.locator('input[name="name"]').fill("Rushes from the browser")
        await form.get_by_role("button", name="POST").click()
        await _shows(page, "/backends/flex/assets/", 200)
        name = page.locator('section.resource > table.properties tr[data-property="name"]')
        await expect(name).to_contain_text("Rushes from the browser")
        # Its update form comes filled in from the resource.
        update = page.locator('form.template[data-template="default"]')
        await expect(update.locator('input[name="name"]')).to_have_value("Rushes from the browser")
        await update.locator('input[name="displayName"]').fill("Day 1 rushes")
        await update.get_by_role("button", name="PUT").click()
        await _shows(page, "PUT ", 200)
        shown = page.locator('section.resource > table.properties tr[data-property="displayName"]')
        await expect(shown).to_contain_text("Day 1 rushes")

        # A problem: an object that is not there, by a templated link.
        await page.click("header h1 a")
        await _row_link(page, "gw:backend", "avalon")
        await _expand(page, "avalon:media-object", id="no such/object")
        await _shows(page, "/backends/avalon/media-objects/no%20such%2Fobject", 404)
        problem = page.locator("section.problem")
        await expect(problem).to_be_visible()
        await expect(problem).to_contain_text("Not found")
        await expect(problem.locator("dd").first).to_have_text("404")
        await expect(problem).to_contain_text("incident")

        # Relayed bytes are offered as a link, never shown.
        content = "/backends/avalon/media-objects/gt54kn04s/supplemental-files/151/content"
        await page.fill("#address", str(client.make_url(content)))
        await page.click("#address-form button")
        await _shows(page, content, 200)
        await expect(page.locator("#view")).to_contain_text("text/plain")
        await expect(page.get_by_role("link", name="download it")).to_be_visible()
        await expect(page.locator("#view")).not_to_contain_text("Program notes for the open")
        assert await page.locator("iframe, object, embed, img, video").count() == 0
        assert await page.evaluate("window.violations || []") == []

        # Logging out ends the session: the page asks to log in again.
        await page.click("#logout")
        await expect(page.locator("#login")).to_be_visible()
        await expect(page.locator("#who")).to_have_text("not logged in")
    finally:
        await context.close()
    assert errors == []
