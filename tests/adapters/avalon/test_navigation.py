"""Reading Avalon through the gateway: paging, links, the registry and relation docs."""

from __future__ import annotations

from gateway.web import hal
from tests.support.avalon import first_media_object as _first_media_object
from tests.support.navigator import Navigator


async def test_media_objects_page_through_every_item_once(nav: Navigator) -> None:
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects", per_page=4)
    total = page["page"]["totalElements"]
    ids: list[str] = []
    numbers = []
    while True:
        numbers.append(page["page"]["number"])
        items = page["_embedded"]["avalon:media-object"]
        assert all(item["_links"]["self"]["href"] for item in items)
        ids += [item["id"] for item in items]
        if "next" not in page["_links"]:
            break
        page = await nav.follow(page, "next")
    assert len(ids) == len(set(ids)) == total > 4
    assert numbers == list(range(1, page["page"]["totalPages"] + 1))
    assert page["_links"]["last"]["href"] == page["_links"]["self"]["href"]
    back = await nav.follow(page, "prev")
    assert back["page"]["number"] == page["page"]["number"] - 1
    first = await nav.follow(back, "first")
    assert [i["id"] for i in first["_embedded"]["avalon:media-object"]] == ids[:4]


async def test_media_object_links_collection_master_files_and_streams(nav: Navigator) -> None:
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects")
    item = next(i for i in page["_embedded"]["avalon:media-object"] if i["collection_id"])
    media_object = await nav.follow(item, "self")
    assert "files" not in media_object
    master = media_object["_embedded"]["avalon:master-file"][0]
    assert "file_location" not in master
    streams = master["_links"]["avalon:derivative"]
    assert streams
    assert all(s["type"] == "application/vnd.apple.mpegurl" for s in streams)
    derivatives = master["_embedded"]["avalon:derivative"]
    assert {d["_links"]["self"]["href"] for d in derivatives} >= {s["href"] for s in streams}
    assert all("derivativeFile" not in d for d in derivatives)
    same = await nav.follow(media_object, "avalon:master-file", master["id"])
    assert same["id"] == master["id"]
    response, playlist = await nav.request("GET", streams[0]["href"])
    assert response.status == 200
    assert b"#EXTM3U" in playlist
    collection = await nav.follow(media_object, "avalon:collection")
    assert collection["id"] == media_object["collection_id"]
    items = await nav.follow(collection, "avalon:items", per_page=1)
    embedded = items["_embedded"]["avalon:media-object"]
    assert len(embedded) == 1
    assert items["page"]["totalElements"] == collection["object_count"]["total"]


async def test_include_structure_is_passed_on(nav: Navigator) -> None:
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects", per_page=50)
    ids = [i["id"] for i in page["_embedded"]["avalon:media-object"]]
    plain = await nav.follow(backend, "avalon:media-object", id=ids[0])
    with_structure = await nav.follow(
        backend, "avalon:media-object", id=ids[0], include_structure="true"
    )
    assert plain["id"] == with_structure["id"] == ids[0]
    plain_files = plain["_embedded"]["avalon:master-file"]
    structured_files = with_structure["_embedded"]["avalon:master-file"]
    assert plain_files
    assert all(f["structure"] is None for f in plain_files)
    assert all(f["structure"] for f in structured_files)


async def test_collection_items_page_through(nav: Navigator) -> None:
    backend = await nav.backend()
    collections = await nav.follow(backend, "avalon:collections")
    biggest = max(
        collections["_embedded"]["avalon:collection"], key=lambda c: c["object_count"]["total"]
    )
    first = await nav.follow(biggest, "avalon:items", per_page=2)
    items = await nav.pages(first, "avalon:media-object")
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == biggest["object_count"]["total"] > 2
    assert first["page"]["totalPages"] == -(-len(ids) // 2)


async def test_non_editors_see_master_files_as_avalon_shows_them(nav: Navigator) -> None:
    """Avalon's list shows every reader master files, visibility and read groups
    (media_objects_controller.rb:325); one object shows them to editors only (:339)."""
    viewer = await nav.backend("readonly")
    page = await nav.follow(viewer, "avalon:media-objects", per_page=50)
    items = page["_embedded"]["avalon:media-object"]
    assert items
    for item in items:
        assert "visibility" in item
        masters = item["_embedded"]["avalon:master-file"]
        assert masters
        assert all("file_location" not in m for m in masters)
        single = await nav.follow(item, "self")
        assert "avalon:master-file" not in single["_links"]
        assert "visibility" not in single


async def test_registry_lists_avalon_services(nav: Navigator) -> None:
    root = await nav.get(str(nav.client.make_url("/")))
    registry = await nav.follow(root, "registry:serviceroots")
    for rel in ("aa:assets", "aa:asset-by-id", "avalon:collections"):
        entries = registry["resources"][rel]
        systems = [s["systemID"] for e in entries for s in e["systems"]]
        assert "archive" in systems
    entries = registry["resources"]["aa:asset-by-id"]
    # The backend's own entry takes its native ids; the root's gw:asset the unified ones.
    own = next(e for e in entries if [s["systemID"] for s in e["systems"]] == ["archive"])
    assert own["templated"] is True
    media_object = await nav.get(hal.expand(own["href"], id="1g05fb83r"))
    assert media_object["id"] == "1g05fb83r"
    asset = await nav.get(hal.expand(root["_links"]["gw:asset"]["href"], id="archive:1g05fb83r"))
    assert (asset["title"], asset["type"]) == ("Lease Test", "video")


async def test_every_avalon_relation_is_documented(nav: Navigator) -> None:
    backend = await nav.backend()
    media_object = await _first_media_object(nav)
    collection = await nav.follow(media_object, "avalon:collection")
    _, created = await nav.request(
        "POST",
        nav.href(media_object, "avalon:supplemental-files"),
        json={"label": "Notes to come"},
    )
    rels = set(backend["_links"]) | set(media_object["_links"]) | set(collection["_links"])
    rels |= set(media_object["_embedded"]["avalon:master-file"][0]["_links"])
    rels |= set(created["_links"]) | set(media_object["_embedded"])
    rels |= {"avalon:supplemental-file"}  # the embedding rel of supplemental-file lists
    avalon = sorted(r for r in rels if r.startswith("avalon:"))
    assert {"avalon:items", "avalon:content", "avalon:supplemental-file"} <= set(avalon)
    curie = next(c for c in backend["_links"]["curies"] if c["name"] == "avalon")
    for rel in avalon:
        page = await nav.session.get(hal.expand(curie["href"], rel=rel.split(":")[1]))
        assert page.status == 200, rel


async def test_an_empty_list_is_one_empty_page_whose_last_link_is_its_first(
    nav: Navigator,
) -> None:
    """A new collection holds nothing: Avalon sends no paging links for it, and ``last``
    must still lead to a page a client can read, the one page there is."""
    backend = await nav.backend()
    response, created = await nav.request(
        "POST",
        nav.href(backend, "avalon:collections"),
        json={
            "name": "Nothing yet",
            "unit": "Default Unit",
            "managers": ["archivist1@example.com"],
        },
    )
    assert response.status == 201, created
    empty = await nav.follow(created, "avalon:items", per_page=10)
    assert empty["page"] == {"size": 10, "totalElements": 0, "totalPages": 0, "number": 1}
    assert empty.get("_embedded", {}).get("avalon:media-object", []) == []
    links = empty["_links"]
    assert "next" not in links
    assert "prev" not in links
    assert links["first"]["href"] == links["last"]["href"] == links["self"]["href"]
    last = await nav.follow(empty, "last")
    assert last["page"]["number"] == 1
    assert last["_links"]["last"]["href"] == links["last"]["href"]
