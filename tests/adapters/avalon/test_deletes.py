"""Deleting media objects through the gateway: queued when Avalon will, refused when not.

Avalon answers every deletion with 302 to ``/``, and deletes later what the key may
delete (media_objects_controller.rb:393-410); the gateway tells the two apart first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from adapters.avalon.simulator import DEFAULT_ADMIN, DEFAULT_ADMIN_KEY, AvalonSimulator
from tests.support.avalon import gone_after_the_job
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.navigator import PROBLEM, Navigator

EDITOR_KEY = "e" * 128  # user editor@example.com, an editor of collection d791sg31t
Serve = Callable[[web.Application], Awaitable[str]]


async def _object(nav: Navigator, backend: str, object_id: str) -> str:
    root = await nav.backend(backend)
    return nav.href(root, "avalon:media-object", id=object_id)


async def _still_there(sim: AvalonSimulator, nav: Navigator, href: str) -> None:
    await sim.purge_now()  # every job Avalon queued has run
    assert (await nav.get(href))["_links"]["self"]["href"] == href


async def test_a_refused_delete_is_403_and_the_object_stays(
    nav: Navigator, simulator: AvalonSimulator
) -> None:
    """The viewer may read the public object, not delete it."""
    readonly = await _object(nav, "readonly", "gt54kn04s")
    assert "avalon:master-file" not in (await nav.get(readonly))["_links"]
    problem = await nav.problem("DELETE", readonly, 403)
    assert (problem["backend"], problem["code"]) == ("readonly", "forbidden")
    assert "delete media object gt54kn04s" in problem["detail"]
    await _still_there(simulator, nav, await _object(nav, "archive", "gt54kn04s"))


@pytest.fixture
async def editor_sim(start_simulator: StartSimulator[AvalonSimulator]) -> AvalonSimulator:
    """A simulator knowing the administrator and an editor of d791sg31t."""
    keys = {DEFAULT_ADMIN_KEY: DEFAULT_ADMIN, EDITOR_KEY: "editor@example.com"}
    return await start_simulator(
        AvalonSimulator(api_keys=keys, admins=(DEFAULT_ADMIN,), purge_delay_s=3600)
    )


@pytest.fixture
async def editor_nav(
    editor_sim: AvalonSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> Navigator:
    """Backends ``archive`` (an administrator) and ``editor`` (an editor of d791sg31t)."""
    sim = editor_sim
    backends = {
        "archive": {"kind": "avalon", "url": sim.url, "api_key": DEFAULT_ADMIN_KEY},
        "editor": {"kind": "avalon", "url": sim.url, "api_key": EDITOR_KEY},
    }
    return Navigator(await gateway(make_config(backends=backends)), "archive")


async def test_an_editor_may_delete_an_unpublished_object(
    editor_nav: Navigator, editor_sim: AvalonSimulator
) -> None:
    href = await _object(editor_nav, "editor", "mk61rh07c")
    response, queued = await editor_nav.request("DELETE", href)
    assert (response.status, queued["status"]) == (202, "queued")
    # The one gap left: a publication between the gateway's read and Avalon's job.
    assert "published" in queued["message"]
    assert (await editor_nav.get(href))["id"] == "mk61rh07c"  # until the job runs
    gone = await gone_after_the_job(editor_sim, editor_nav, href)
    assert (gone["status"], gone["upstream_status"]) == (404, 410)


async def test_an_editor_may_not_delete_a_published_object(
    editor_nav: Navigator, editor_sim: AvalonSimulator
) -> None:
    """Once published, only the collection's managers may (ability.rb:177-181)."""
    admin_href = await _object(editor_nav, "archive", "mk61rh07c")
    response, published = await editor_nav.request(
        "PUT", admin_href, json={"files": [], "publish": True}
    )
    assert (response.status, published["published"]) == (200, True)
    problem = await editor_nav.problem(
        "DELETE", await _object(editor_nav, "editor", "mk61rh07c"), 403
    )
    assert problem["code"] == "forbidden"
    await _still_there(editor_sim, editor_nav, admin_href)


async def test_deleting_an_unknown_object_is_404(nav: Navigator) -> None:
    problem = await nav.problem("DELETE", await _object(nav, "archive", "nope12345"), 404)
    assert problem["upstream_status"] == 404


@pytest.mark.parametrize(
    ("location", "status"),
    [
        pytest.param("/", 202, id="root"),
        pytest.param("/bookmarks", 202, id="bookmarks"),
        pytest.param("/users/sign_in?url=%2Fmedia_objects%2Fm1", 503, id="sign-in-page"),
        pytest.param("/media_objects/m1", 503, id="the-object-page"),
        pytest.param("https://elsewhere.example.org/", 503, id="another-origin"),
    ],
)
async def test_only_avalons_redirect_after_a_deletion_reads_as_queued(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    upstream: Serve,
    location: str,
    status: int,
) -> None:
    """MOC:393-410 redirects to root_path, or to /bookmarks when the deletion came from
    there; a redirect anywhere else (Devise's sign-in page) is not a queued deletion."""

    async def show(request: web.Request) -> web.StreamResponse:
        return web.json_response({"id": "m1", "title": "One", "files": []})

    async def delete(request: web.Request) -> web.StreamResponse:
        base = f"{request.scheme}://{request.host}"
        target = location if "://" in location else base + location
        return web.Response(status=302, headers={"Location": target})

    app = web.Application()
    app.router.add_get("/media_objects/m1.json", show)
    app.router.add_delete("/media_objects/m1.json", delete)
    backend = {"kind": "avalon", "url": await upstream(app), "api_key": DEFAULT_ADMIN_KEY}
    nav = Navigator(await gateway(make_config(backends={"archive": backend})), "archive")
    response, body = await nav.request("DELETE", await _object(nav, "archive", "m1"))
    assert response.status == status, body
    if status == 503:
        assert (response.content_type, body["code"]) == (PROBLEM, "upstream-unavailable")
        assert "sign_in" not in body["detail"]
