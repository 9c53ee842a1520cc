"""Single sign-on in a real Chromium: the HAL browser's link to the organisation's login,
the provider's own pages, and back; logging out at the provider too.

The provider is oidc-provider on loopback (``tests/node``), Chromium is Debian's, driven
by Playwright. The provider's pages import a web font from the internet: requests that
leave loopback are refused, so the walk never depends on the network.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from playwright.async_api import Browser, Route, expect

from gateway.api import browser
from tests.support.sso import Provider, StartSso, base

WAIT_MS: Final = 10_000
"""The longest any step waits for a page (Playwright's timeouts)."""


async def _loopback_only(route: Route) -> None:
    host = urlsplit(route.request.url).hostname
    if host in ("127.0.0.1", "localhost"):
        await route.continue_()
    else:
        await route.abort()


async def test_a_person_logs_in_through_the_provider_from_the_hal_browser_and_out_again(
    sso: StartSso, provider: Provider, chromium: Browser
) -> None:
    client = await sso()
    gateway = base(client)
    context = await chromium.new_context()
    await context.route("**/*", _loopback_only)
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(gateway + browser.PATH + "#/backends")
    await expect(page.locator("#who")).to_have_text("not logged in")

    link = page.locator("#login-sso-link")
    await expect(link).to_be_visible()
    href = await link.get_attribute("href")
    assert href == gateway + "/auth/login/oidc?return_to=%2Fbrowser%23%2Fbackends"
    await link.click()

    # The provider's own login and consent pages, as a person fills them in.
    await page.wait_for_url(provider.issuer + "/**")
    await page.locator("input[name=login]").fill("maria")
    await page.locator("input[name=password]").fill("any password")
    await page.locator("button[type=submit]").click()
    await page.locator("button[type=submit]", has_text="Continue").click()

    # Back in the HAL browser, where the person was, logged in with the claim's roles.
    await page.wait_for_url(gateway + browser.PATH + "#/backends")
    await expect(page.locator("#who")).to_have_text("maria (editor)")
    await expect(page.locator("#login")).to_be_hidden()

    # Logging out ends the gateway's session and goes on to the provider's logout.
    await page.locator("#logout").click()
    await page.wait_for_url(provider.issuer + "/**")
    await expect(page.get_by_text("Yes, sign me out")).to_be_visible()
    me = await context.request.get(gateway + "/auth/me")
    assert me.status == 401
    await context.close()
