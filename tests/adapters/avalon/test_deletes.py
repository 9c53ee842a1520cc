"""Deleting media objects through the gateway: queued when Avalon will, refused when not.

Avalon answers every deletion with 302 to ``/``, and deletes later what the key may
delete (media_objects_controller.rb:393-410); the gateway tells the two apart first.
"""

from __future__ import annotations

import asyncio

import pytest

from adapters.avalon.simulator import DEFAULT_ADMIN, DEFAULT_ADMIN_KEY, AvalonSimulator
from tests.support.avalon import gone_after_the_job
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.navigator import Navigator

EDITOR_KEY = "e" * 128  # user editor@example.com, an editor of collection d791sg31t
PURGE_S = 0.05


async def _object(nav: Navigator, backend: str, object_id: str) -> str:
    root = await nav.backend(backend)
    return nav.href(root, "avalon:media-object", id=object_id)


async def _still_there(nav: Navigator, href: str) -> None:
    await asyncio.sleep(4 * PURGE_S)  # the job would have run by now
    assert (await nav.get(href))["_links"]["self"]["href"] == href


async def test_a_refused_delete_is_403_and_the_object_stays(nav: Navigator) -> None:
    """The viewer may read the public object, not delete it."""
    readonly = await _object(nav, "readonly", "gt54kn04s")
    assert "avalon:master-file" not in (await nav.get(readonly))["_links"]
    problem = await nav.problem("DELETE", readonly, 403)
    assert (problem["backend"], problem["code"]) == ("readonly", "forbidden")
    assert "delete media object gt54kn04s" in problem["detail"]
    await _still_there(nav, await _object(nav, "archive", "gt54kn04s"))


@pytest.fixture
async def editor_nav(
    start_simulator: StartSimulator[AvalonSimulator],
    gateway: GatewayFactory,
    make_config: ConfigFactory,
) -> Navigator:
    """Backends ``archive`` (an administrator) and ``editor`` (an editor of d791sg31t)."""
    keys = {DEFAULT_ADMIN_KEY: DEFAULT_ADMIN, EDITOR_KEY: "editor@example.com"}
    sim = await start_simulator(
        AvalonSimulator(api_keys=keys, admins=(DEFAULT_ADMIN,), purge_delay_s=PURGE_S)
    )
    backends = {
        "archive": {"kind": "avalon", "url": sim.url, "api_key": DEFAULT_ADMIN_KEY},
        "editor": {"kind": "avalon", "url": sim.url, "api_key": EDITOR_KEY},
    }
    return Navigator(await gateway(make_config(backends=backends)), "archive")


async def test_an_editor_may_delete_an_unpublished_object(editor_nav: Navigator) -> None:
    href = await _object(editor_nav, "editor", "mk61rh07c")
    response, queued = await editor_nav.request("DELETE", href)
    assert (response.status, queued["status"]) == (202, "queued")
    gone = await gone_after_the_job(editor_nav, href)
    assert (gone["status"], gone["upstream_status"]) == (404, 410)


async def test_an_editor_may_not_delete_a_published_object(editor_nav: Navigator) -> None:
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
    await _still_there(editor_nav, admin_href)


async def test_deleting_an_unknown_object_is_404(nav: Navigator) -> None:
    problem = await nav.problem("DELETE", await _object(nav, "archive", "nope12345"), 404)
    assert problem["upstream_status"] == 404
