"""Debian's Chromium, headless, driven by Playwright (never a browser download).

``make test`` installs the ``chromium`` package where it is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless; closed after the test."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed; `make test` installs the Debian package")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
