"""Calls straight to a Flex simulator, behind no gateway, for the simulator's own tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from yarl import URL

from adapters.flex.simulator import DEFAULT_PASSWORD, DEFAULT_USER
from tests.support.navigator import Doc
from tests.support.replies import Reply

__all__ = ["AUTH", "Api", "Doc", "asset_named", "error", "ok"]

AUTH = {"Authorization": aiohttp.encode_basic_auth(DEFAULT_USER, DEFAULT_PASSWORD)}
"""The simulator's default login, as a request header."""

Api = Callable[..., Awaitable[Reply]]
"""``await api(method, path, headers=AUTH, **options)``: the simulator fixture ``api``."""


async def ok(api: Api, method: str, path: str | URL, status: int = 200, **kw: Any) -> Any:
    """The JSON body of a call that must answer ``status``; None when the body is empty."""
    reply = await api(method, path, **kw)
    assert reply.status == status, reply.body
    return reply.json() if reply.body else None


async def asset_named(api: Api, name: str) -> Doc:
    """The one undeleted asset called exactly ``name``."""
    body = await ok(api, "GET", f"/api/assets;name={name};exactNameMatch=true;deleted=false")
    assert body["totalCount"] == 1, body
    return dict(body["assets"][0])


def error(reply: Reply) -> str:
    """The message of a reply in Flex's error shape, checking the shape on the way."""
    body = reply.json()
    assert set(body) == {"errors"}
    assert set(body["errors"]) == {"error"}
    return str(body["errors"]["error"])
