"""The Azure backend through the gateway, against the simulator over real sockets.

Tests start at ``GET /`` and navigate by relation names only; URLs are never built.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from adapters.azure.simulator import AzureSimulator
from gateway.web import hal
from tests.support.azure.fixtures import TOKEN, Connect, SimFactory
from tests.support.azure.navigator import HAL, PROBLEM, Doc, Navigator

MEDIA = bytes(range(256)) * 3000 + b"tail"  # several chunks, under aiohttp's large-body warning


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


async def _uploaded(
    nav: Navigator, data: bytes = MEDIA, filename: str = "talk.mp4", protection: str = "None"
) -> Doc:
    response, video = await nav.upload(data, filename=filename, params={"protection": protection})
    assert response.status == 202, video
    return dict(video)


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


async def test_one_step_upload_encodes_over_time_and_plays_back(
    simulators: SimFactory, connect: Connect
) -> None:
    # The one test whose encoding is driven by time: progress must only grow meanwhile.
    simulator = await simulators(encoding_duration_s=0.05)
    nav = await connect(simulator)
    response, video = await nav.upload(MEDIA, filename="keynote.mp4")
    assert response.status == 202, video
    assert response.headers["Location"] == video["_links"]["self"]["href"]
    assert video["filename"] == "keynote.mp4"
    assert video["protection"] == "None"
    assert "azure:upload" not in video["_links"]

    ready, seen = await nav.until_ready(video)
    assert ready["status"] == "Ready"
    assert ready["progress"] == 100
    progress = [p for status, p in seen if status == "Encoding"]
    assert progress == sorted(progress)
    assert ready["duration"] > 0
    stored = simulator.stored_file(ready["id"])
    assert stored is not None
    assert (stored.size, stored.md5) == (len(MEDIA), md5(MEDIA))

    playback = {link["name"]: link for link in ready["_links"]["azure:playback"]}
    assert {name: link["type"] for name, link in playback.items()} == {
        "Streaming": "application/vnd.ms-sstr+xml",
        "HLS": "application/vnd.apple.mpegurl",
        "DASH": "application/dash+xml",
        "Progressive": "video/mp4",
    }
    for name, link in playback.items():
        response, _ = await nav.request("GET", link["href"], allow_redirects=False)
        assert response.status == 307, name
        response, content = await nav.request("GET", response.headers["Location"])
        assert response.status == 200, name
        assert response.content_type == link["type"], name
        if name == "Progressive":
            assert md5(content) == md5(MEDIA)
        if name == "HLS":
            assert content.startswith(b"#EXTM3U")
            assert b"EXT-X-KEY" not in content
    assert "azure:authorization-token" not in ready["_links"]


async def test_thumbnails_are_linked_embedded_and_are_images(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    ready = await nav.encoded(await _uploaded(nav), simulator)
    embedded = ready["_embedded"]["azure:thumbnails"]
    assert embedded["_links"]["self"]["href"] == ready["_links"]["azure:thumbnails"]["href"]
    listing = await nav.follow(ready, "azure:thumbnails")
    assert listing == embedded
    frames = listing["_embedded"]["azure:thumbnail"]
    assert [f["index"] for f in frames] == [0, 1, 2]
    assert [link["name"] for link in listing["_links"]["azure:thumbnail"]] == ["0", "1", "2"]
    for frame in frames:
        assert frame["height"] == 180
        assert frame["time"].startswith("PT")
        image = frame["_links"]["self"]
        assert image["type"] == "image/png"
        response, content = await nav.request("GET", image["href"])
        assert response.status == 200
        assert content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (await nav.follow(listing, "up"))["id"] == ready["id"]


async def test_protected_video_plays_with_its_authorization_token(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    video = await _uploaded(nav, protection="AES128")
    assert video["protection"] == "AES128"
    assert video["protectionKeyId"].startswith("nb:kid:UUID:")
    ready = await nav.encoded(video, simulator)
    response, token = await nav.request("GET", nav.href(ready, "azure:authorization-token"))
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert token["scheme"] == "Bearer"
    assert token["token"]

    response, _ = await nav.request(
        "GET", nav.href(ready, "azure:playback", "HLS"), allow_redirects=False
    )
    response, playlist = await nav.request("GET", response.headers["Location"])
    found = re.search(rb'#EXT-X-KEY:METHOD=AES-128,URI="([^"]+)"', playlist)
    assert found is not None
    key_url = found.group(1).decode()
    response, key = await nav.request(
        "GET", key_url, headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert response.status == 200
    assert len(key) == 16
    response, _ = await nav.request("GET", key_url)
    assert response.status == 401


async def test_stepwise_upload_through_the_gateways_own_upload_url(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    backend = await nav.backend()
    response, video = await nav.request(
        "POST",
        nav.href(backend, "azure:videos"),
        json={"filename": "lecture.mov", "protection": "aes128"},
    )
    assert response.status == 201, video
    assert response.headers["Location"] == video["_links"]["self"]["href"]
    assert (video["status"], video["protection"]) == ("Uploading", "AES128")
    upload = nav.href(video, "azure:upload")
    assert upload.startswith(str(nav.client.make_url("/")))

    response, problem = await nav.request("POST", nav.href(video, "azure:complete"))
    assert response.status == 409
    assert problem["transient"] is True
    assert problem["errors"] == ["No file has been uploaded to the video's UploadUri."]

    response, _ = await nav.request(
        "PUT", upload, data=MEDIA, headers={"Content-Type": "video/quicktime"}
    )
    assert response.status == 204
    stored = simulator.stored_file(video["id"])
    assert stored is not None
    assert stored.md5 == md5(MEDIA)

    response, encoding = await nav.request("POST", nav.href(video, "azure:complete"))
    assert response.status == 202
    assert response.headers["Location"] == video["_links"]["self"]["href"]
    assert (encoding["status"], encoding["progress"]) == ("Encoding", 0)
    assert "azure:upload" not in encoding["_links"]
    ready = await nav.encoded(encoding, simulator)
    assert "azure:authorization-token" in ready["_links"]

    response, problem = await nav.request(
        "PUT", upload, data=b"again", headers={"Content-Type": "video/quicktime"}
    )
    assert response.status == 409
    assert "completed" in problem["detail"]


async def test_encoding_progress_shows_and_a_failure_says_why(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(encoding_duration_s=None)
    nav = await connect(sim)
    video = await _uploaded(nav)
    assert (video["status"], video["progress"]) == ("Encoding", 0)
    sim.set_encoding_progress(video["id"], 40)
    video = await nav.follow(video, "self")
    assert (video["status"], video["progress"]) == ("Encoding", 40)
    assert "azure:playback" not in video["_links"]
    sim.finish_encoding(video["id"], failed=True, message="Unsupported codec in track 2.")
    failed = await nav.follow(video, "self")
    assert failed["status"] == "Failed"
    assert failed["message"] == "Unsupported codec in track 2."
    for rel in ("azure:playback", "azure:thumbnails", "azure:upload"):
        assert rel not in failed["_links"]


async def test_playback_before_ready_is_a_transient_409(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(encoding_duration_s=None)
    nav = await connect(sim)
    video = await _uploaded(nav)
    assert "azure:playback" not in video["_links"]
    # Not linked before it is ready: the registry's template reaches it all the same.
    href = await nav.registered("azure:playback", id=video["id"], type="HLS")
    response, problem = await nav.request("GET", href, allow_redirects=False)
    assert response.status == 409
    assert response.content_type == PROBLEM
    assert problem["transient"] is True
    assert problem["upstream_status"] == 409
    assert "Encoding" in problem["errors"][0]
    response, problem = await nav.request(
        "GET", await nav.registered("azure:playback", id=video["id"], type="VHS")
    )
    assert response.status == 404
    assert "HLS" in problem["detail"]


async def test_the_gateways_own_etags_answer_304_and_412(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    video = await _uploaded(nav)
    href = video["_links"]["self"]["href"]
    response, _ = await nav.request("GET", href)
    etag = response.headers["ETag"]
    response, body = await nav.request("GET", href, headers={"If-None-Match": f'W/{etag}, "x"'})
    assert response.status == 304
    assert body == b""
    assert response.headers["ETag"] == etag

    # Progress is part of the document, so it changes the tag though the record does not.
    simulator.set_encoding_progress(video["id"], 40)
    response, encoding = await nav.request("GET", href, headers={"If-None-Match": etag})
    assert response.status == 200
    assert encoding["progress"] == 40
    progress_etag = response.headers["ETag"]
    assert progress_etag != etag

    response, problem = await nav.request("DELETE", href)
    assert response.status == 409  # encoding
    simulator.finish_encoding(video["id"])
    response, ready = await nav.request("GET", href, headers={"If-None-Match": progress_etag})
    assert response.status == 200
    assert ready["status"] == "Ready"
    new_etag = response.headers["ETag"]
    assert new_etag not in (etag, progress_etag)

    response, problem = await nav.request("DELETE", href, headers={"If-Match": etag})
    assert response.status == 412
    assert response.content_type == PROBLEM
    assert video["id"] in problem["detail"]
    response, _ = await nav.request("DELETE", href, headers={"If-Match": f"W/{new_etag}"})
    assert response.status == 412  # If-Match compares strongly
    response, _ = await nav.request("DELETE", href, headers={"If-Match": new_etag})
    assert response.status == 204
    response, problem = await nav.request("GET", href)
    assert response.status == 404
    assert simulator.video_ids() == []


async def test_completion_honours_if_match_with_the_gateways_etag(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    backend = await nav.backend()
    _, video = await nav.request(
        "POST", nav.href(backend, "azure:videos"), json={"filename": "step.mp4"}
    )
    href = video["_links"]["self"]["href"]
    response, _ = await nav.request("GET", href)
    before = response.headers["ETag"]
    response, _ = await nav.request(
        "PUT", nav.href(video, "azure:upload"), data=MEDIA, headers={"Content-Type": "video/mp4"}
    )
    assert response.status == 204
    complete = nav.href(video, "azure:complete")
    response, problem = await nav.request("POST", complete, headers={"If-Match": '"other"'})
    assert response.status == 412, problem
    response, _ = await nav.request("GET", href)
    current = response.headers["ETag"]
    assert current == before  # the stored file shows nowhere in the document
    response, encoding = await nav.request("POST", complete, headers={"If-Match": current})
    assert response.status == 202, encoding
    assert encoding["status"] == "Encoding"


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


@pytest.mark.parametrize(
    ("params", "content_type", "status", "detail"),
    [
        pytest.param({"filename": ""}, "video/mp4", 400, "name the file", id="no-name"),
        pytest.param({"protection": "DRM"}, "video/mp4", 400, "protection must", id="protection"),
        pytest.param({}, "text/plain", 415, "not accepted", id="not-media"),
        pytest.param({"filename": "a.xyz"}, "video/mp4", 400, "answered 400", id="format"),
    ],
)
async def test_refused_uploads_leave_no_video(
    nav: Navigator,
    simulator: AzureSimulator,
    params: dict[str, str],
    content_type: str,
    status: int,
    detail: str,
) -> None:
    query = {"filename": "talk.mp4", **params}
    name = query.pop("filename") or None
    response, problem = await nav.upload(
        MEDIA, filename=name, content_type=content_type, params=query
    )
    assert response.status == status, problem
    assert detail in problem["detail"]
    assert simulator.video_ids() == []


async def test_the_file_name_may_come_from_content_disposition(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    response, video = await nav.upload(
        MEDIA,
        filename=None,
        content_type="audio/mpeg",
        headers={"Content-Disposition": 'attachment; filename="../../etc/song.mp3"'},
    )
    assert response.status == 202, video
    assert video["filename"] == "song.mp3"
    ready = await nav.encoded(video, simulator)
    progressive = next(p for p in ready["_links"]["azure:playback"] if p["name"] == "Progressive")
    assert progressive["type"] == "audio/mp4"


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
