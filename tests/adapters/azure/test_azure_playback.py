"""Azure videos through the gateway: encoding, playback, thumbnails and protection."""

from __future__ import annotations

import re

from adapters.azure.simulator import AzureSimulator
from tests.support.azure.fixtures import Connect, SimFactory
from tests.support.azure.navigator import PROBLEM, Navigator
from tests.support.azure.videos import MEDIA, md5
from tests.support.azure.videos import uploaded as _uploaded


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
