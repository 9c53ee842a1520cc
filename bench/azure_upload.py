"""A large one-step video upload through the gateway, with the gateway's memory measured.

The Azure connector simulator and the gateway run as separate processes (``hal-gateway
simulate azure`` and ``hal-gateway serve``), so the gateway's peak resident memory
(``VmHWM``) is its own. The file is generated while it is sent and hashed on the way; once
the video is ready, its progressive rendition (the stored file) is fetched through the
``azure:playback`` redirect and hashed as it arrives, and compared both with the bytes sent
and with the ``Content-MD5`` the simulator recorded for them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench import goals
from bench._processes import CHUNK, baseline_kib, gateway_on_simulator, memory_kib, payload

TOKEN = "bench-connector-token"
POLLS = 600


@dataclass(frozen=True, slots=True)
class Upload:
    """The gateway's resident memory before an upload and its peak during it."""

    size_mib: int
    baseline_kib: int
    peak_kib: int

    def rows(self) -> list[goals.Row]:
        """The row of goal P5's upload part."""
        base, peak = goals.megabytes(self.baseline_kib), goals.megabytes(self.peak_kib)
        measured = f"{base:.1f} MB before, peak {peak:.1f} MB, {self.size_mib:,} MiB sent"
        return [goals.UPLOAD_RSS.row(measured, peak - base)]


async def _until_ready(session: aiohttp.ClientSession, href: str) -> dict[str, Any]:
    for _ in range(POLLS):
        async with session.get(href) as response:
            video: dict[str, Any] = await response.json()
        if video["status"] in ("Ready", "Failed"):
            return video
        await asyncio.sleep(0.05)  # a benchmark may wait; the encoding takes its time
    raise RuntimeError(f"the video is still {video['status']}")


async def main(size_mib: int = 1024) -> Upload:
    """Upload ``size_mib`` MiB in one step, check it arrived intact, print time and memory."""
    size = size_mib * CHUNK
    with gateway_on_simulator(
        "azure",
        ("--token", TOKEN, "--encoding-seconds", "0.2"),
        {"token": "${TOKEN}"},
        env={"TOKEN": TOKEN},
    ) as (gateway, url, headers):
        async with aiohttp.ClientSession(
            headers=headers, timeout=aiohttp.ClientTimeout(total=900)
        ) as s:
            async with s.get(f"{url}/backends/azure") as response:
                root = await response.json()
            videos = root["_links"]["azure:videos"]["href"].split("{", 1)[0]
            baseline = baseline_kib(gateway.pid)
            sent = hashlib.md5(usedforsecurity=False)
            started = time.perf_counter()
            async with s.post(
                videos,
                params={"filename": "bench.mp4"},
                data=payload(size, sent),
                headers={"Content-Type": "video/mp4", "Content-Length": str(size)},
            ) as response:
                body = await response.json()
                assert response.status == 202, body
                location = response.headers["Location"]
            upload_s = time.perf_counter() - started
            peak = memory_kib(gateway.pid, "VmHWM")
            video = await _until_ready(s, location)
            assert video["status"] == "Ready", video
            progressive = next(
                link["href"]
                for link in video["_links"]["azure:playback"]
                if link["name"] == "Progressive"
            )
            received = hashlib.md5(usedforsecurity=False)
            started = time.perf_counter()
            async with s.get(progressive) as response:
                assert response.status == 200, response.status
                recorded = base64.b64decode(response.headers["Content-MD5"]).hex()
                async for chunk in response.content.iter_chunked(CHUNK):
                    received.update(chunk)
            download_s = time.perf_counter() - started

    assert sent.hexdigest() == recorded, "the simulator recorded other bytes than were sent"
    assert sent.hexdigest() == received.hexdigest(), "the stored file differs from the upload"
    print(f"azure one-step upload of {size_mib} MiB through the gateway (MD5 {recorded})")
    print(f"  upload to 202  {upload_s:6.2f} s  {size_mib / upload_s:7.1f} MiB/s")
    print(f"  read back      {download_s:6.2f} s  {size_mib / download_s:7.1f} MiB/s (direct)")
    print(
        f"  gateway resident memory: {baseline / 1024:.1f} MiB before, peak "
        f"{peak / 1024:.1f} MiB after the upload "
        f"(growth {(peak - baseline) / 1024:.1f} MiB for a {size_mib} MiB file)"
    )
    return Upload(size_mib, baseline, peak)
