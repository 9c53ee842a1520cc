"""Uploads that go wrong through the gateway: nothing half-made stays, statuses from the table.

The client breaks off, the storage fails or corrupts, the upload window has closed, the
file is too large or has no declared length.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from adapters.azure import AzureAdapter
from adapters.azure.simulator import AzureSimulator, StorageFault
from gateway.upstream.client import UpstreamClient
from gateway.web.statuses import ERROR_STATUSES
from tests.support.azure.fixtures import Connect, SimFactory
from tests.support.azure.navigator import POLLS, PROBLEM, Navigator
from tests.support.fixtures import ConfigFactory

MEDIA = bytes(range(256)) * 3000


async def _video_count(nav: Navigator) -> int:
    page = await nav.follow(await nav.backend(), "azure:videos")
    return int(page["page"]["totalElements"])


async def _until_count(nav: Navigator, wanted: int) -> None:
    """Read the video list until it holds ``wanted`` videos (a bounded number of reads)."""
    for _ in range(POLLS):
        if await _video_count(nav) == wanted:
            return
    raise AssertionError(f"the backend never listed {wanted} videos")


def _leftovers(sim: AzureSimulator) -> list[str]:
    return sorted(p.name for p in sim.storage_folder.iterdir())


@pytest.mark.parametrize(
    ("kind", "status", "detail"),
    [
        pytest.param("error", 500, "the storage failed to take the file", id="storage-error"),
        pytest.param("drop", 503, "connection to the storage failed", id="storage-drops"),
        pytest.param("corrupt", 503, "differ from those sent", id="storage-corrupts"),
    ],
)
async def test_a_failing_storage_leaves_no_video(
    simulators: SimFactory, connect: Connect, kind: str, status: int, detail: str
) -> None:
    fault = StorageFault(kind, after_bytes=len(MEDIA) // 2)  # type: ignore[arg-type]
    sim = await simulators(storage_fault=fault)
    nav = await connect(sim)
    response, problem = await nav.upload(MEDIA)
    assert response.status == status, problem
    assert status in ERROR_STATUSES
    assert detail in problem["detail"]
    assert "half-made video" in problem["detail"]
    assert "was deleted" in problem["detail"]
    assert sim.video_ids() == []
    assert _leftovers(sim) == []
    assert await _video_count(nav) == 0


async def test_a_storage_that_never_answers_is_a_408_within_the_transfer_budget(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(storage_fault=StorageFault("stall"))
    nav = await connect(sim, transfer_timeout_s=0.2)
    response, problem = await nav.upload(MEDIA)
    assert response.status == 408
    assert problem["transient"] is True
    assert "within 0.2 s" in problem["detail"]
    assert sim.video_ids() == []


async def test_an_expired_upload_window_is_403_and_leaves_no_video(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(upload_token_ttl_s=0)
    nav = await connect(sim)
    response, problem = await nav.upload(MEDIA)
    assert response.status == 403
    assert problem["transient"] is False
    assert problem["upstream_status"] == 403
    assert problem["upstream_code"] == "AuthenticationFailed"
    assert "signed token expired" in problem["detail"]
    assert any("Signed expiry time" in e for e in problem["errors"])
    assert sim.video_ids() == []


async def test_an_expired_stepwise_upload_is_403_and_the_video_stays_unready(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(upload_token_ttl_s=0)
    nav = await connect(sim)
    backend = await nav.backend()
    _, video = await nav.request(
        "POST", nav.href(backend, "azure:videos"), json={"filename": "late.mp4"}
    )
    response, problem = await nav.request(
        "PUT", nav.href(video, "azure:upload"), data=MEDIA, headers={"Content-Type": "video/mp4"}
    )
    assert response.status == 403
    assert "signed token expired" in problem["detail"]
    assert sim.stored_file(video["id"]) is None
    response, problem = await nav.request("POST", nav.href(video, "azure:complete"))
    assert response.status == 409
    assert (await nav.follow(video, "self"))["status"] == "Uploading"


async def _hang_up_half_way(nav: Navigator, method: str, href: str) -> None:
    """Declare all of ``MEDIA``, send half, hang up once the backend lists the video."""
    url = urlsplit(href)
    target = url.path + (f"?{url.query}" if url.query else "")
    head = (
        f"{method} {target} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: video/mp4\r\n"
        f"Authorization: {nav.client.session.headers['Authorization']}\r\n"
        f"Content-Length: {len(MEDIA)}\r\n\r\n"
    )
    _, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(head.encode() + MEDIA[: len(MEDIA) // 2])
    await writer.drain()
    await _until_count(nav, 1)
    writer.close()
    await writer.wait_closed()


async def test_a_client_that_hangs_up_mid_upload_leaves_no_video(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    videos = nav.href(await nav.backend(), "azure:videos")
    await _hang_up_half_way(nav, "POST", videos + "?filename=cut.mp4")
    await _until_count(nav, 0)
    assert simulator.video_ids() == []


async def test_a_broken_stepwise_upload_keeps_nothing_and_may_be_repeated(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    backend = await nav.backend()
    _, video = await nav.request(
        "POST", nav.href(backend, "azure:videos"), json={"filename": "retry.mp4"}
    )
    upload = nav.href(video, "azure:upload")
    await _hang_up_half_way(nav, "PUT", upload)
    response, _ = await nav.request(
        "PUT", upload, data=MEDIA, headers={"Content-Type": "video/mp4"}
    )
    assert response.status == 204
    response, _ = await nav.request("POST", nav.href(video, "azure:complete"))
    assert response.status == 202
    await nav.encoded(video, simulator)
    stored = simulator.stored_file(video["id"])
    assert stored is not None
    assert stored.md5 == hashlib.md5(MEDIA, usedforsecurity=False).hexdigest()


async def test_an_upload_over_the_limit_is_413_before_any_video(
    simulator: AzureSimulator, connect: Connect
) -> None:
    nav = await connect(simulator, {"max_upload_bytes": 4096})
    response, problem = await nav.upload(MEDIA)
    assert response.status == 413
    assert "4096" in problem["detail"]
    assert simulator.video_ids() == []


async def test_an_upload_without_a_declared_length_is_400_before_any_video(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield MEDIA[:1000]

    response, problem = await nav.upload(chunks())
    assert response.status == 400
    assert "Content-Length" in problem["detail"]
    response, problem = await nav.upload(b"")
    assert response.status == 400
    assert "empty" in problem["detail"]
    assert simulator.video_ids() == []


async def test_a_large_upload_sent_in_chunks_arrives_whole(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    size = 24 * 1024 * 1024
    block = bytes(range(256)) * 1024
    sent = hashlib.md5(usedforsecurity=False)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(size // len(block)):
            sent.update(block)
            yield block

    response, video = await nav.upload(
        chunks(), headers={"Content-Length": str(size)}, filename="big.mp4"
    )
    assert response.status == 202, video
    stored = simulator.stored_file(video["id"])
    assert stored is not None
    assert (stored.size, stored.md5) == (size, sent.hexdigest())


async def test_a_lost_completion_answer_keeps_the_encoding_video_and_names_it(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(lose_completion_answers=True)
    nav = await connect(sim)
    response, problem = await nav.upload(MEDIA)
    assert response.status == 503, problem
    assert response.content_type == PROBLEM
    [video_id] = sim.video_ids()
    assert "was deleted" not in problem["detail"]
    assert f"video {video_id} was not deleted" in problem["detail"]
    assert "Ready or Failed" in problem["detail"]
    # It is listed like any other and ends its encoding as any other does.
    [listed] = (await nav.follow(await nav.backend(), "azure:videos"))["_embedded"]["azure:video"]
    assert (listed["id"], listed["status"]) == (video_id, "Encoding")
    ready = await nav.encoded(listed, sim)
    assert ready["duration"] > 0
    response, _ = await nav.request("DELETE", ready["_links"]["self"]["href"])
    assert response.status == 204
    assert sim.video_ids() == []


async def test_shutdown_lets_a_running_deletion_finish(make_config: ConfigFactory) -> None:
    config = make_config(backends={"azure": {"kind": "azure", "url": "simulator", "token": "t"}})
    adapter = AzureAdapter(
        config.backends["azure"], UpstreamClient("azure", timeout_s=1, retries=0)
    )
    release = asyncio.Event()
    finished: list[str] = []

    async def deletion() -> None:
        await release.wait()
        finished.append("deleted")

    adapter.keep(asyncio.ensure_future(deletion()))
    release.set()
    # Nothing else yields here: the deletion runs only if closing waits for it.
    await adapter.close()
    assert finished == ["deleted"]
