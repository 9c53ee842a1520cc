"""docs/adding-a-backend.md, proven: a kind defined outside ``gateway/`` is served.

The shelf kind (``tests/support/extra_kind``) is registered the way an installed
distribution registers one: a ``.dist-info`` folder on the path whose
``entry_points.txt`` names its adapter and its simulator. A real ``hal-gateway serve``
process finds it, and a client reaches it from the root by links alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aiohttp

from gateway import plugins
from gateway.auth.passwords import hash_password
from gateway.web import hal
from tests.support.identities import CHEAP
from tests.support.paths import ROOT
from tests.support.processes import Started, start

PASSWORD = "shelf-reader-password"
KEY = "shelf-key-from-the-environment"
HAL = {"Accept": "application/hal+json"}


def _installed(site: Path) -> None:
    """A distribution's metadata naming the shelf kind's adapter and simulator."""
    info = site / "hal_shelf-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hal-shelf\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[hal_gateway.adapters]\n"
        "shelf = tests.support.extra_kind.adapter:ShelfAdapter\n"
        "[hal_gateway.simulators]\n"
        "shelf = tests.support.extra_kind.simulator:ShelfSimulator\n"
    )


def _config(path: Path) -> Path:
    path.write_text(
        f"""
[server]
port = 0
[auth]
signing_key = "shelf-test-signing-key-0123456789"
[[auth.users]]
name = "rosa"
password_hash = "{hash_password(PASSWORD, CHEAP)}"
roles = ["reader"]
[backends.books]
kind = "shelf"
title = "Book shelf"
url = "simulator"
api_key = "${{SHELF_KEY}}"
"""
    )
    return path


def _link(doc: dict[str, Any], rel: str, name: str | None = None) -> dict[str, Any]:
    value = doc["_links"][rel]
    links = value if isinstance(value, list) else [value]
    found = [link for link in links if name is None or link.get("name") == name]
    assert found, (rel, name, doc["_links"])
    link: dict[str, Any] = found[0]
    return link


async def _get(session: aiohttp.ClientSession, href: str) -> dict[str, Any]:
    async with session.get(href, headers=HAL) as response:
        body: dict[str, Any] = await response.json(content_type=None)
        assert response.status == 200, (href, body)
        return body


async def test_a_kind_defined_outside_the_core_is_served_listed_and_reachable_by_links(
    process: Started, tmp_path: Path
) -> None:
    assert "shelf" not in plugins.available_kinds()  # only the process below has it
    site = tmp_path / "site"
    _installed(site)
    env = {"PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "SHELF_KEY": KEY}
    _, url = start(process, "serve", "--config", str(_config(tmp_path / "gw.toml")), env=env)
    base = url.rstrip("/")

    async with aiohttp.ClientSession() as anonymous:
        grant = {"grant_type": "password", "username": "rosa", "password": PASSWORD}
        async with anonymous.post(base + "/auth/token", data=grant) as response:
            assert response.status == 200
            token = (await response.json())["access_token"]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        root = await _get(session, base + "/")
        backend = await _get(session, _link(root, "gw:backend", "books")["href"])
        assert (backend["kind"], backend["title"]) == ("shelf", "Book shelf")
        assert "shelf" in {c["name"] for c in root["_links"]["curies"]}

        books = await _get(session, _link(backend, "shelf:books")["href"])
        titles = sorted(b["title"] for b in books["_embedded"]["shelf:book"])
        assert titles == [
            "An interview with the archivist",
            "Cataloguing sound",
            "Interview techniques",
        ]
        first = books["_embedded"]["shelf:book"][0]
        book = await _get(session, _link(first, "self")["href"])
        assert book["title"] == first["title"]

        registry = await _get(session, _link(root, "registry:serviceroots")["href"])
        entries = registry["resources"]["shelf:books"]
        entries = entries if isinstance(entries, list) else [entries]
        assert any(s["systemID"] == "books" for e in entries for s in e["systems"])

        curie = next(c for c in backend["_links"]["curies"] if c["name"] == "shelf")
        doc = await _get(session, curie["href"].replace("{rel}", "books"))
        assert doc["title"] == "Books"

        search = hal.expand(_link(root, "gw:assets")["href"], backend="books", q="interview")
        assets = await _get(session, search)
        found = [a["title"] for a in assets["_embedded"]["gw:asset"]]
        assert found == ["An interview with the archivist", "Interview techniques"]
