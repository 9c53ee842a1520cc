"""HEAD never carries a body: every GET route of a gateway with all four kinds of backend.

The answers are read off the socket, so bytes that an HTTP client would drop (it knows
a HEAD answer has no body) are seen. A body after a HEAD answer desynchronises a
kept-alive connection: the next answer the client reads starts inside it.
"""

from __future__ import annotations

import re

from aiohttp import web

from adapters.flex.simulator.seed import IMAGE_FILE
from tests.support.fixtures import EVERY_KIND, ConfigFactory, GatewayFactory
from tests.support.identities import bearer
from tests.support.wire import head_alone, status_of

BACKENDS = EVERY_KIND

KNOWN = {"/backends/flex/files/{name}": f"/backends/flex/files/{IMAGE_FILE}"}
"""Routes filled with what the simulators hold, so a relayed download answers 200 too."""


def _get_paths(app: web.Application) -> list[str]:
    """Every GET route's path, its variables filled with a placeholder id (or a known one)."""
    paths = set()
    for route in app.router.routes():
        if route.method != "GET":
            continue
        info = route.get_info()
        path = info.get("path") or info.get("formatter")
        assert path is not None, info
        paths.add(KNOWN.get(path) or re.sub(r"\{[^}]+\}", "x", path))
    return sorted(paths)


async def test_no_head_answer_has_a_body_on_the_wire(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends=BACKENDS))
    paths = _get_paths(client.app)
    assert len(paths) > 60  # every backend's routes are in the list
    statuses = set()
    for user in ("admin", None):
        headers = bearer(client.app, user) if user else {}
        for path in [*paths, "/no/such/route"]:
            head, rest = await head_alone(client.make_url(path), headers)
            assert rest == b"", (user, path, head, rest[:80])
            statuses.add(status_of(head))
    assert {200, 401, 404} <= statuses  # answers of every kind were checked
