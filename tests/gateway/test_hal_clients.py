"""The HAL clients frontends use, walking a gateway from Node as an application does.

ketting and traverson-hal (``tests/node/``, from the npm registry; ``make test`` runs
``npm ci`` there) walk a gateway in front of one simulator of every kind: the unified
collections down to their items, and a MediaCentral folder tree down to an item. Both
clients take an embedded resource for the resource itself and never read it again, so
everything a walk reports is what the client saw without refreshing: it must be what
the gateway answers for that resource when asked afresh.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any, Final

import pytest
from aiohttp.test_utils import TestClient

from gateway.web.hal import MEDIA_TYPE
from tests.support.fixtures import EVERY_KIND, ConfigFactory, GatewayFactory
from tests.support.identities import bearer

WALKS: Final = Path(__file__).resolve().parents[1] / "node"
WALK_TIMEOUT_S: Final = 60.0
Doc = dict[str, Any]
Pairs = set[tuple[str, str]]


@pytest.fixture
async def client(gateway: GatewayFactory, make_config: ConfigFactory) -> TestClient[Any, Any]:
    """A gateway in front of one simulator of every kind; the admin's token."""
    return await gateway(make_config(server={"rate_limit_per_s": 0}, backends=EVERY_KIND))


async def walk(client: TestClient[Any, Any], script: str, *args: str) -> Doc:
    """Run ``tests/node/<script>`` against the gateway; what it reports."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; `make test` installs it (Debian's nodejs)")
    if not (WALKS / "node_modules" / "ketting").is_dir():
        pytest.fail(
            f"the HAL clients are not installed: run `npm ci` in {WALKS} (`make test` does)"
        )
    (header,) = bearer(client.app, "admin").values()
    proc = await asyncio.create_subprocess_exec(
        node,
        str(WALKS / script),
        str(client.make_url("/")),
        *args,
        cwd=WALKS,
        env={**os.environ, "GATEWAY_TOKEN": header.removeprefix("Bearer ")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), WALK_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, f"{script} failed:\n{err.decode()}"
    report: Doc = json.loads(out)
    return report


async def fresh(client: TestClient[Any, Any], href: str) -> Doc:
    """What the gateway answers for ``href`` now."""
    response = await client.session.get(href, headers={"Accept": MEDIA_TYPE})
    assert response.status == 200, href
    doc: Doc = await response.json()
    return doc


def links(doc: Doc) -> Pairs:
    """A document's links as (relation, href), CURIEs aside."""
    return {
        (rel, link["href"])
        for rel, value in doc.get("_links", {}).items()
        if rel != "curies"
        for link in (value if isinstance(value, list) else [value])
    }


def seen(reported: Doc) -> Pairs:
    """The links a walk reported for one resource, as the client held them."""
    return {(rel, href) for rel, href in reported["links"] if rel != "curies"}


async def unified_collections(client: TestClient[Any, Any]) -> dict[str, Doc]:
    """Every unified collection, read afresh, by id."""
    root = await fresh(client, str(client.make_url("/")))
    href = root["_links"]["gw:collections"]["href"].split("{")[0] + "?per_page=100"
    listing = await fresh(client, href)
    # Linked or embedded: as a HAL client finds them, each read afresh.
    hrefs = [link["href"] for link in listing["_links"].get("gw:collection", [])]
    hrefs += [
        c["_links"]["self"]["href"] for c in listing.get("_embedded", {}).get("gw:collection", [])
    ]
    collections = [await fresh(client, href) for href in hrefs]
    return {c["id"]: c for c in collections}


@pytest.mark.parametrize("script", ["ketting-collections.mjs", "traverson-collections.mjs"])
async def test_a_client_walks_the_collections_to_their_items_without_refreshing(
    client: TestClient[Any, Any], script: str
) -> None:
    report = await walk(client, script)
    truth = await unified_collections(client)
    reached = {c["id"]: c for c in report["collections"]}
    assert reached.keys() == truth.keys()
    assert {i.split(":", 1)[0] for i in reached} == {"avalon", "news", "flex"}
    for uid, collection in truth.items():
        walked = reached[uid]
        assert walked["title"] == collection["title"]
        assert links(collection) <= seen(walked), uid
        expected = [i["id"] for i in collection["_embedded"]["gw:items"]]
        assert [i["id"] for i in walked["items"]] == expected, uid
        for item in walked["items"]:
            whole = await fresh(client, str(client.make_url("/assets/")) + item["id"])
            assert item["title"] == whole["title"]
            assert links(whole) <= seen(item), item["id"]
    assert sum(len(c["items"]) for c in reached.values()) > 10


async def test_ketting_walks_a_folder_tree_down_to_an_item_without_refreshing(
    client: TestClient[Any, Any],
) -> None:
    report = await walk(client, "ketting-folders.mjs", "news", "News", "Evening Bulletin")
    names = [r["name"] for r in report["reached"]]
    assert names == [
        "Newsroom",
        "News",
        "Evening Bulletin",
        "Evening bulletin 14 May",  # the folder item
        "Evening bulletin 14 May",  # the asset it files
    ]
    for reached in report["reached"]:
        assert links(await fresh(client, reached["uri"])) <= seen(reached), reached["uri"]


async def test_traverson_hal_walks_a_folder_tree_down_to_an_item_from_embedded_pages(
    client: TestClient[Any, Any],
) -> None:
    report = await walk(client, "traverson-folders.mjs", "news")
    assert [r["name"] for r in report["reached"]] == [
        "Newsroom",
        "News",
        "Evening Bulletin",
        "Evening bulletin 14 May",
    ]
    for reached in report["reached"]:
        assert links(await fresh(client, reached["uri"])) <= seen(reached), reached["uri"]
