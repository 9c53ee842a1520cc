"""The Azure backend through the gateway: its root, paging, registry, docs, secrets."""

from __future__ import annotations

import json
import re

from adapters.azure.simulator import AzureSimulator
from gateway.web import hal
from tests.support.azure.fixtures import TOKEN, Connect, SimFactory
from tests.support.azure.navigator import HAL, PROBLEM, Doc, Navigator
from tests.support.azure.videos import MEDIA
from tests.support.azure.videos import uploaded as _uploaded


async def test_backend_root_links_videos_and_formats(nav: Navigator) -> None:
    backend = await nav.backend()
    assert backend["kind"] == "azure"
    assert backend["_links"]["azure:video"]["templated"] is True
    formats = await nav.follow(backend, "azure:formats")
    assert formats["count"] == len(formats["formats"]) > 5
    mp4 = next(f for f in formats["formats"] if f["extension"] == "mp4")
    assert mp4 == {"name": "MPEG-4", "extension": "mp4", "mediaType": "video/mp4"}
    videos = await nav.follow(backend, "azure:videos")
    assert videos["page"]["totalElements"] == 0


async def test_videos_page_through_every_video_once(nav: Navigator) -> None:
    uploaded = [await _uploaded(nav, filename=f"clip-{n}.mp4") for n in range(5)]
    page = await nav.follow(await nav.backend(), "azure:videos", per_page=2)
    assert page["page"] == {"size": 2, "totalElements": 5, "totalPages": 3, "number": 1}
    names: list[str] = []
    while True:
        items = page["_embedded"]["azure:video"]
        assert all(item["status"] == "Encoding" for item in items)
        names += [item["filename"] for item in items]
        if "next" not in page["_links"]:
            break
        page = await nav.follow(page, "next")
    assert names == [v["filename"] for v in uploaded]
    assert page["_links"]["last"]["href"] == page["_links"]["self"]["href"]
    first = await nav.follow(page, "first")
    assert [i["id"] for i in first["_embedded"]["azure:video"]] == [v["id"] for v in uploaded[:2]]


async def test_registry_names_this_backend_for_video_assets(nav: Navigator) -> None:
    video = await _uploaded(nav)
    registry = await nav.follow(await nav.root(), "registry:serviceroots")
    root = nav.href(await nav.backend(), "self")
    rels = ("aa:assets", "aa:asset-by-id", "azure:videos", "azure:video", "azure:formats")
    found: dict[str, Doc] = {}
    for rel in (*rels, "azure:playback"):
        # The gateway's unified view may offer the same relation, at its own path.
        [found[rel]] = [e for e in registry["resources"][rel] if e["href"].startswith(root + "/")]
        assert found[rel]["systems"] == [{"systemType": "azure", "systemID": "azure"}], rel
    by_id = found["aa:asset-by-id"]
    assert by_id["templated"] is True
    assert (await nav.get(hal.expand(by_id["href"], id=video["id"])))["id"] == video["id"]
    assets = found["aa:assets"]
    listing = await nav.get(hal.expand(assets["href"]))
    assert [v["id"] for v in listing["_embedded"]["azure:video"]] == [video["id"]]


async def test_every_azure_relation_is_documented(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    backend = await nav.backend()
    ready = await nav.encoded(await _uploaded(nav, protection="AES128"), simulator)
    thumbnails = ready["_embedded"]["azure:thumbnails"]
    rels = set(backend["_links"]) | set(ready["_links"]) | set(thumbnails["_links"])
    response, stepwise = await nav.request(
        "POST", nav.href(backend, "azure:videos"), json={"filename": "x.mp4"}
    )
    rels |= set(stepwise["_links"]) | set(ready.get("_embedded", {}))
    azure = sorted(r for r in rels if r.startswith("azure:"))
    assert len(azure) == 9
    for rel in azure:
        curie = next(c for c in backend["_links"]["curies"] if c["name"] == "azure")
        response, page = await nav.request(
            "GET", hal.expand(curie["href"], rel=rel.split(":")[1]), headers={"Accept": HAL}
        )
        assert response.status == 200, rel
        assert page["description"], rel


async def test_the_connector_and_its_storage_never_show(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    backend = await nav.backend()
    await nav.follow(backend, "azure:formats")
    ready = await nav.encoded(await _uploaded(nav, protection="AES128"), simulator)
    await nav.follow(ready, "azure:authorization-token")
    for link in ready["_links"]["azure:playback"]:
        await nav.request("GET", link["href"], allow_redirects=False)
    _, stepwise = await nav.request(
        "POST", nav.href(backend, "azure:videos"), json={"filename": "x.mp4"}
    )
    await nav.request("POST", nav.href(stepwise, "azure:complete"))
    await nav.request("GET", nav.href(backend, "azure:video", id="missing"))
    await nav.upload(MEDIA, filename="bad.xyz")
    await nav.videos()
    media = re.compile(re.escape(simulator.url) + r"/media/[^\s\"'\\]+")
    for text in nav.seen:
        # Streaming and thumbnail URLs are media URLs for players; nothing else may show.
        without_media = media.sub("", text)
        assert simulator.url not in without_media
        assert "127.0.0.1:" + simulator.url.rsplit(":", 1)[1] not in without_media
        for secret in ("/storage/", "sig=", TOKEN, "InputStorageEncryption"):
            assert secret not in without_media


async def test_a_wrong_connector_token_is_a_503_naming_the_backend_without_the_token(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators()
    nav = await connect(sim, token="not-the-token", retries=0)
    response, problem = await nav.request("GET", nav.href(await nav.backend(), "azure:videos"))
    assert response.status == 503
    assert response.content_type == PROBLEM
    assert problem["code"] == "upstream-login-failed"
    assert problem["backend"] == "azure"
    assert problem["upstream_status"] == 401
    assert problem["errors"] == ["Authorization has been denied for this request."]
    assert "not-the-token" not in json.dumps(problem)
