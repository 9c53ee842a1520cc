"""Security headers on every answer of the gateway, its own pages and what it relays.

Nothing the gateway answers may be sniffed into another type, leak the page's address
to where its links lead, or be framed; its own HTML pages run no script and load
nothing (see docs/http.md, "Security headers").
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from gateway.spi import relayed_headers
from tests.support.fixtures import GatewayFactory

EVERYWHERE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
OWN_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def _assert_hardened(headers: Mapping[str, str], what: str) -> None:
    for name, value in EVERYWHERE.items():
        assert headers.get(name) == value, (what, name)
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("Content-Security-Policy") == OWN_POLICY, what


@pytest.mark.parametrize(
    ("path", "accept", "status", "content_type"),
    [
        pytest.param("/", "application/hal+json", 200, "application/hal+json", id="json"),
        pytest.param("/rels/backend", "text/html", 200, "text/html", id="relation-page"),
        pytest.param("/rels/backend", "application/json", 200, "application/hal+json", id="rel"),
        pytest.param("/problems/not-found", "text/html", 200, "text/html", id="problem-page"),
        pytest.param("/no/such/route", "*/*", 404, "application/problem+json", id="problem"),
        pytest.param("/", "image/png", 406, "application/problem+json", id="not-acceptable"),
    ],
)
async def test_every_answer_carries_the_security_headers(
    gateway: GatewayFactory, path: str, accept: str, status: int, content_type: str
) -> None:
    client = await gateway()
    for method in ("GET", "HEAD"):
        async with client.request(method, path, headers={"Accept": accept}) as response:
            assert (response.status, response.content_type) == (status, content_type)
            _assert_hardened(response.headers, f"{method} {path}")


async def test_anonymous_refusals_carry_them_too(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    async with client.get("/backends") as response:
        assert response.status == 401
        _assert_hardened(response.headers, "401")


async def test_the_gateways_own_pages_need_nothing_the_policy_refuses(
    gateway: GatewayFactory,
) -> None:
    """No script, style, image, frame or form on them: ``default-src 'none'`` costs nothing."""
    client = await gateway()
    for path in ("/rels/backend", "/problems/not-found"):
        async with client.get(path, headers={"Accept": "text/html"}) as response:
            page = (await response.text()).lower()
        for needs_a_source in ("<script", "<style", "style=", "<img", "<iframe", "<form", "<link"):
            assert needs_a_source not in page, (path, needs_a_source)


@pytest.mark.parametrize(
    ("content_type", "disposition", "expected"),
    [
        pytest.param("text/html", None, "attachment", id="html-without-disposition"),
        pytest.param(
            "TEXT/HTML; charset=utf-8", 'inline; filename="a.html"', 'attachment; filename="a.html"'
        ),
        pytest.param("image/svg+xml", "inline", "attachment", id="svg"),
        pytest.param("application/pdf", "inline", "attachment", id="pdf"),
        pytest.param(None, None, "attachment", id="no-type"),
        pytest.param("image/png", 'inline; filename="a.png"', 'inline; filename="a.png"'),
        pytest.param("video/mp4", None, None, id="video-as-sent"),
        pytest.param("text/plain; charset=utf-8", "inline", "inline", id="plain-text"),
        pytest.param("text/vtt", 'attachment; filename="c.vtt"', 'attachment; filename="c.vtt"'),
    ],
)
def test_relayed_headers_attach_all_but_passive_types(
    content_type: str | None, disposition: str | None, expected: str | None
) -> None:
    given = {"Content-Length": "3"}
    if content_type is not None:
        given["Content-Type"] = content_type
    if disposition is not None:
        given["Content-Disposition"] = disposition
    made = relayed_headers(given)
    assert made.get("Content-Disposition") == expected
    assert made["X-Content-Type-Options"] == "nosniff"
    assert made["Content-Security-Policy"] == "sandbox"
    assert made["Content-Length"] == "3"
