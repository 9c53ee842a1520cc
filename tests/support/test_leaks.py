"""The suite's leak check itself: it must see a secret that does leave the gateway."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from tests.support import leaks
from tests.support.fixtures import AZURE, FLEX, ConfigFactory
from tests.support.identities import bearer

AIOHTTP_CLIENT = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


async def test_a_secret_in_an_answer_or_a_log_line_is_found(
    aiohttp_client: AIOHTTP_CLIENT, make_config: ConfigFactory, caplog: Any
) -> None:
    config = make_config(
        backends={"flex": {**FLEX, "password": "leaky-flex-password"}, "azure": AZURE}
    )
    secrets = leaks.configured_secrets(config)
    assert {"leaky-flex-password", "t-secret", "admin-password"} <= secrets

    async def careless(request: web.Request) -> web.Response:
        logging.getLogger("gateway.careless").warning("logging in with leaky-flex-password")
        return web.Response(text="the password is leaky-flex-password")

    app = create_app(config)
    recorder = leaks.Recorder()
    app.middlewares.insert(0, recorder.middleware)
    app.router.add_get("/careless", careless)
    client = await aiohttp_client(app, headers=bearer(app, "admin"))
    caplog.set_level(logging.INFO)
    assert (await client.get("/careless")).status == 200
    found = leaks.leaks(secrets, recorder.answers)
    assert len(found) == 1
    assert found[0].startswith("lea...")
    assert leaks.leaks(secrets, leaks.log_lines(caplog.records))
