"""A large supplemental-file upload through the gateway, with the gateway's memory measured.

The Avalon simulator and the gateway run as separate processes (``hal-gateway simulate
avalon`` and ``hal-gateway serve``), so the gateway's peak resident memory (``VmHWM``)
is its own. The file is generated while it is sent and hashed while it comes back, so
the benchmark process holds none of it either.
"""

from __future__ import annotations

import hashlib
import json
import time

import aiohttp

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY
from bench._processes import CHUNK, baseline_kib, gateway_on_simulator, memory_kib, payload


async def main(size_mib: int = 200) -> None:
    """Upload ``size_mib`` MiB, download it back, print time and gateway memory."""
    size = size_mib * CHUNK
    with gateway_on_simulator(
        "avalon", (), {"api_key": "${KEY}"}, env={"KEY": DEFAULT_ADMIN_KEY}
    ) as (gateway, url, headers):
        async with aiohttp.ClientSession(
            headers=headers, timeout=aiohttp.ClientTimeout(total=600)
        ) as s:
            files = f"{url}/backends/avalon/media-objects/1g05fb83r/supplemental-files"
            async with s.get(files) as response:
                assert response.status == 200, response.status
            baseline = baseline_kib(gateway.pid)
            sent = hashlib.sha256()
            form = aiohttp.FormData()
            form.add_field(
                "file",
                payload(size, sent),
                filename="big.bin",
                content_type="application/octet-stream",
            )
            form.add_field("metadata", json.dumps({"label": "Large file"}))
            started = time.perf_counter()
            async with s.post(files, data=form) as response:
                body = await response.json()
                assert response.status == 201, body
            upload_s = time.perf_counter() - started
            upload_peak = memory_kib(gateway.pid, "VmHWM")
            received = hashlib.sha256()
            started = time.perf_counter()
            async with s.get(body["_links"]["avalon:content"]["href"]) as response:
                assert response.status == 200, response.status
                async for chunk in response.content.iter_chunked(CHUNK):
                    received.update(chunk)
            download_s = time.perf_counter() - started
            peak = memory_kib(gateway.pid, "VmHWM")

    assert sent.hexdigest() == received.hexdigest(), "the downloaded bytes differ"
    print(f"avalon supplemental file of {size_mib} MiB through the gateway (byte-identical)")
    print(f"  upload   {upload_s:6.2f} s  {size_mib / upload_s:7.1f} MiB/s")
    print(f"  download {download_s:6.2f} s  {size_mib / download_s:7.1f} MiB/s")
    print(
        f"  gateway resident memory: {baseline / 1024:.1f} MiB before, peak "
        f"{upload_peak / 1024:.1f} MiB after upload, {peak / 1024:.1f} MiB after download "
        f"(growth {(peak - baseline) / 1024:.1f} MiB for a {size_mib} MiB file)"
    )
