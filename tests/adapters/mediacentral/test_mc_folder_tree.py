"""The unified view over a MediaCentral folder tree longer than a page, through the gateway."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.mediacentral.fixtures import BACKEND, Connect, SimFactory
from tests.support.mediacentral.navigator import Doc, Navigator

ROOT_CLIPS = 98
"""With the root's three folders, 101 children: the root's second page holds one alone."""
SPORTS_CLIPS = 230
"""With its four assets, three pages of the adapter's 100."""


async def every_page(nav: Navigator, href: str) -> list[Doc]:
    """Every asset of a unified list, following ``next``."""
    items: list[Doc] = []
    while True:
        page = await nav.get(href)
        items += nav.embedded(page, "gw:asset")
        if "next" not in page["_links"]:
            return items
        href = nav.href(page, "next")


# One child alone on a page comes as an object (the samples' case), or as an array.
@pytest.mark.parametrize("single_item", ["object", "array"])
async def test_every_asset_of_a_tree_longer_than_a_page_is_listed_once_and_opens(
    simulators: SimFactory, connect: Connect, single_item: str
) -> None:
    sim = await simulators(single_item=single_item)
    # The root item is an untemplated link: its folder items come without their assets,
    # and its second page is a loc:collection page of one child.
    at_root = sim.file_clips("/", ROOT_CLIPS)
    in_sports = sim.file_clips("/Sports/", SPORTS_CLIPS)
    # The walk below opens all 345 assets one after another: more than the default burst.
    nav = Navigator(await connect(sim, server={"rate_limit_burst": 1000}))
    root = await nav.root()

    listed = await every_page(nav, nav.href(root, "gw:assets", backend=BACKEND, per_page=100))
    ids = [item["id"] for item in listed]
    assert len(ids) == len(set(ids)), "an asset came twice"
    assert sorted(ids) == sorted(f"{BACKEND}:{a}" for a in sim.platform.assets)
    assert len(ids) == 17 + ROOT_CLIPS + SPORTS_CLIPS

    by_id: dict[str, Any] = {item["id"]: item for item in listed}
    for item in listed:
        opened = await nav.get(nav.href(root, "gw:asset", id=item["id"]))
        assert (opened["id"], opened["title"], opened["type"]) == (
            item["id"],
            item["title"],
            item["type"],
        )
    # Each lies in the folder the walk found it in, which opens as a collection.
    for asset_id, folder in ((at_root[0], "/"), (in_sports[-1], "/Sports/")):
        item = by_id[f"{BACKEND}:{asset_id}"]
        collection = await nav.get(nav.href(item, "gw:collection"))
        assert collection["id"] == f"{BACKEND}:{folder}"
    assert nav.leaks(sim.url) == []


async def test_a_folder_longer_than_a_page_lists_its_items_in_order(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators()
    clips = sim.file_clips("/Sports/", SPORTS_CLIPS)
    nav = Navigator(await connect(sim))
    root = await nav.root()
    listing = await nav.get(nav.href(root, "gw:collections", backend=BACKEND, per_page=100))
    [sports] = [c for c in listing["_links"]["gw:collection"] if c["title"] == "Sports"]
    page = await nav.get(sports["href"])
    assert (page["native_id"], page["item_count"]) == ("/Sports/", 4 + SPORTS_CLIPS)
    items = nav.embedded(page, "gw:items")
    while "next" in page["_links"]:
        page = await nav.get(nav.href(page, "next"))
        items += nav.embedded(page, "gw:items")
    assert [i["id"] for i in items][4:] == [f"{BACKEND}:{c}" for c in clips]
