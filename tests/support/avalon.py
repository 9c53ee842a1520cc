"""Simulators, gateways and requests for the Avalon backend tests, all on loopback sockets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, DEFAULT_USER_KEY, AvalonSimulator
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.navigator import Doc, Navigator
from tests.support.replies import Reply, fetch

# --- the adapter, through a gateway -------------------------------------------------


@pytest.fixture
async def simulator() -> AsyncIterator[AvalonSimulator]:
    """A simulator behind the gateway of :func:`client`."""
    # As the real server: vocabulary updates by PUT only. Deletion jobs run when a test
    # says so (purge_now), never on their own.
    sim = AvalonSimulator(purge_delay_s=3600, vocabulary_post=False)
    await sim.start()
    yield sim
    await sim.close()


@pytest.fixture
async def client(
    simulator: AvalonSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    """A gateway with three Avalon backends on one simulator: admin, viewer, unknown key."""
    config = make_config(
        backends={
            "archive": {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_ADMIN_KEY},
            "readonly": {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_USER_KEY},
            "misconfigured": {
                "kind": "avalon",
                "url": simulator.url,
                "api_key": "0" * 128,
                "retries": 0,
            },
        }
    )
    return await gateway(config)


@pytest.fixture
def nav(client: TestClient[Any, Any]) -> Navigator:
    """A navigator on :func:`client`, going to the backend ``archive``."""
    return Navigator(client, "archive")


async def first_media_object(nav: Navigator) -> Doc:
    """The first listed media object that has master files, as its ``self`` shows it."""
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects")
    item = next(
        i for i in page["_embedded"]["avalon:media-object"] if "avalon:master-file" in i["_links"]
    )
    return await nav.follow(item, "self")


async def gone_after_the_job(sim: AvalonSimulator, nav: Navigator, href: str) -> Doc:
    """The problem ``href`` answers once Avalon's background deletion has run."""
    await sim.purge_now()
    response, body = await nav.request("GET", href)
    assert response.status != 200, f"{href} is still there"
    assert isinstance(body, dict)
    return body


# --- the simulator, on its own --------------------------------------------------------

ADMIN = {"Avalon-Api-Key": DEFAULT_ADMIN_KEY}
VIEWER = {"Avalon-Api-Key": DEFAULT_USER_KEY}
ANONYMOUS: dict[str, str] = {}

SimFactory = Callable[..., Awaitable[AvalonSimulator]]
Call = Callable[..., Awaitable[Reply]]


@pytest.fixture
def make_sim(start_simulator: StartSimulator[AvalonSimulator]) -> SimFactory:
    """Start simulators with the given options; all are closed afterwards."""

    async def make(**options: Any) -> AvalonSimulator:
        options.setdefault("purge_delay_s", 3600)  # jobs run at purge_now()
        return await start_simulator(AvalonSimulator(**options))

    return make


@pytest_asyncio.fixture
async def sim(make_sim: SimFactory) -> AvalonSimulator:
    """A simulator with the default options."""
    return await make_sim()


@pytest_asyncio.fixture
async def call(sim: AvalonSimulator, http: aiohttp.ClientSession) -> Call:
    """``await call(method, path, headers=ADMIN, **request_options)`` against ``sim``."""
    return lambda method, path, headers=ADMIN, **kw: send(http, sim, method, path, headers, **kw)


async def send(
    http: aiohttp.ClientSession,
    sim: AvalonSimulator,
    method: str,
    path: str,
    headers: dict[str, str],
    **kw: Any,
) -> Reply:
    """One request to ``sim``, its answer read whole."""
    return await fetch(http, method, sim.url + path, headers=headers, **kw)


def links(reply: Reply) -> dict[str, str]:
    """The Link header as rel -> URL."""
    found = re.findall(r'<([^>]+)>; rel="([a-z]+)"', reply.headers.get("Link", ""))
    return {rel: url for url, rel in found}


def media_object_body(title: str | None = "New item", **extra: Any) -> dict[str, Any]:
    """A body that creates a media object in collection ``d791sg31t``; no title if None."""
    fields: dict[str, Any] = {"date_issued": "2024"}
    if title is not None:
        fields["title"] = title
    return {"fields": fields, "collection_id": "d791sg31t", **extra}


async def follow(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], hops: int = 5
) -> list[Reply]:
    """GET ``url`` and every redirect after it, by hand; each answer in order.

    ``headers`` go with the first request only, as a careful client sends them.
    """
    replies = [await fetch(http, "GET", url, headers=headers)]
    while replies[-1].status in (301, 302, 303, 307, 308) and len(replies) <= hops:
        replies.append(await fetch(http, "GET", replies[-1].headers["Location"]))
    return replies


def full_message_lines(text: str) -> list[str]:
    """The lines of a Ruby full message: the raise site, then ``from`` frames."""
    return text.split("\n\tfrom ")


# --- a stand-in Avalon, for answers the simulator never gives ---------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def stand_in(content: Handler) -> web.Application:
    """An Avalon with one media object ``m1`` holding one supplemental file ``7``.

    What a client reads on its way to the file is answered as Avalon answers it; the
    file's content URL (``/media_objects/m1/supplemental_files/7``) by ``content``.
    """
    caption = {"id": 7, "type": "caption", "label": "c.vtt", "language": "English"}
    paging = {"Total": "1", "Per-Page": "25"}

    def answer(body: Any, **headers: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.json_response(body, headers=headers)

        return handler

    app = web.Application()
    routes = {
        "/media_objects.json": answer([], **paging),
        "/media_objects/m1.json": answer({"id": "m1", "title": "One", "files": []}),
        "/media_objects/m1/supplemental_files.json": answer([caption], **paging),
        "/media_objects/m1/supplemental_files/7.json": answer(caption),
        "/media_objects/m1/supplemental_files/7": content,
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    return app


async def content_href(nav: Navigator, media_object: str = "m1") -> str:
    """The ``avalon:content`` href of the first supplemental file of ``media_object``."""
    backend = await nav.backend()
    item = await nav.follow(backend, "avalon:media-object", id=media_object)
    files = await nav.follow(item, "avalon:supplemental-files")
    return nav.href(files["_embedded"]["avalon:supplemental-file"][0], "avalon:content")
