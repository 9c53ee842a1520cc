"""The platform's embedded summaries, made whole (``adapters.mediacentral.summaries``).

Against the simulator, ``tests/gateway/test_embedded.py`` compares every embedded
resource with its ``self``; here, what the documents' walk and the reads do at their
edges: a folder that already has the link, a hit whose asset is gone by the time it is
read, the platform's one hit given as an object.
"""

from __future__ import annotations

from typing import Any

from adapters.mediacentral.discovery import Service, Services
from adapters.mediacentral.summaries import complete, whole_hits

LOCATIONS = "http://mc.internal/apis/pam/locations"
Doc = dict[str, Any]


def _services(*offered: Service) -> Services:
    return Services({s.rel: s for s in offered}, frozenset({"http://mc.internal"}))


def _item(item_id: str, kind: str, **links: str) -> Doc:
    return {
        "base": {"id": item_id, "type": kind},
        "_links": {"self": {"href": f"http://mc.internal/items/{item_id}"}}
        | {rel.replace("_", ":"): {"href": href} for rel, href in links.items()},
    }


def test_embedded_folders_get_the_locations_link_and_nothing_else_changes() -> None:
    own = "http://mc.internal/elsewhere/locations"
    page = {
        "_links": {"self": {"href": "http://mc.internal/items/news"}},
        "_embedded": {
            "loc:collection": {
                "_embedded": {
                    "loc:item": [
                        _item("/News/A/", "folder"),
                        _item("/News/B/", "folder", loc_locations=own),
                        _item("7", "folder-item"),
                    ]
                }
            }
        },
    }
    done = complete(page, _services(Service("loc:locations", LOCATIONS, False)))
    a, b, entry = done["_embedded"]["loc:collection"]["_embedded"]["loc:item"]
    assert a["_links"]["loc:locations"] == {"href": LOCATIONS}
    assert b["_links"]["loc:locations"] == {"href": own}  # the platform's own is kept
    assert "loc:locations" not in entry["_links"]  # an asset's entry is no folder
    assert "loc:locations" not in done["_links"]  # the page itself is the platform's whole
    # A platform without the service: nothing to add.
    bare = {"_embedded": {"loc:item": [_item("/X/", "folder")]}}
    assert "loc:locations" not in complete(bare, _services())["_embedded"]["loc:item"][0]["_links"]


async def test_hits_become_their_assets_and_a_gone_one_is_left_out() -> None:
    assets = {"a": {"base": {"id": "a"}, "_links": {"aa:thumb": {"href": "t"}}}}

    async def read(asset_id: str) -> Doc | None:
        return assets.get(asset_id)

    hits = {"_embedded": {"aa:asset": [{"base": {"id": "a"}}, {"base": {"id": "gone"}}]}}
    assert (await whole_hits(hits, read))["_embedded"]["aa:asset"] == [assets["a"]]
    one = {"_embedded": {"aa:asset": {"base": {"id": "a"}}}}
    assert (await whole_hits(one, read))["_embedded"]["aa:asset"] == assets["a"]
    gone = {"_embedded": {"aa:asset": {"base": {"id": "gone"}}}, "paging": {}}
    assert await whole_hits(gone, read) == {"_embedded": {}, "paging": {}}
