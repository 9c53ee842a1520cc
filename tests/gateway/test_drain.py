"""Stopping with work in flight: a real ``hal-gateway serve`` process gets SIGTERM.

Whatever is under way when the signal comes (here: a media upload through to the Azure
connector's simulator, its body still arriving) finishes with its normal answer while the
process takes no new connection and closes its idle ones; what outlasts
``server.drain_s`` is cut, and the video it had made upstream deleted. Either way the
process exits 0.
"""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.parse
import urllib.request
from pathlib import Path

from gateway.auth.passwords import hash_password
from tests.support import processes
from tests.support.identities import CHEAP
from tests.support.polling import wait_until
from tests.support.processes import Started, password_token

PASSWORD = "uploader-password"
UPSTREAM_TOKEN = "drain-test-token"
MEDIA = bytes(range(256)) * 4096  # 1 MiB
VIDEOS = "/backends/azure/videos"


def _config(tmp_path: Path, drain_s: float, azure: str = "simulator") -> Path:
    path = tmp_path / "gw.toml"
    path.write_text(
        f"""
[server]
port = 0
drain_s = {drain_s}
[[auth.users]]
name = "uploader"
password_hash = "{hash_password(PASSWORD, CHEAP)}"
roles = ["editor"]
[backends.azure]
kind = "azure"
url = "{azure}"
token = "{UPSTREAM_TOKEN}"
"""
    )
    return path


def _videos(url: str, token: str) -> int:
    request = urllib.request.Request(
        url.rstrip("/") + VIDEOS, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["page"]["totalElements"])


def _start_upload(url: str, token: str) -> socket.socket:
    """Declare all of MEDIA, send half; return once the gateway streams it upstream."""
    before = _videos(url, token)
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    upload = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = (
        f"POST {VIDEOS}?filename=late.mp4 HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: video/mp4\r\n"
        f"Content-Length: {len(MEDIA)}\r\n\r\n"
    )
    upload.sendall(head.encode() + MEDIA[: len(MEDIA) // 2])
    # The upload makes its video first, then streams the bytes on.
    wait_until(lambda: _videos(url, token) == before + 1, "the upload starting")
    return upload


def _refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_sigterm_lets_an_upload_in_flight_finish_then_exits_0(
    tmp_path: Path, process: Started
) -> None:
    drain_s = 10.0
    proc, url = processes.start(
        process, "serve", "--config", str(_config(tmp_path, drain_s)), log=tmp_path / "log"
    )
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    token = password_token(url, "uploader", PASSWORD)
    # A kept-alive connection, idle when the signal comes.
    idle = socket.create_connection((parts.hostname, parts.port), timeout=10)
    idle.sendall(f"GET /healthz HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    assert idle.recv(65536).startswith(b"HTTP/1.1 200")
    upload = _start_upload(url, token)

    proc.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    wait_until(lambda: _refused(parts.hostname or "", parts.port or 0), "refusing connections")
    assert idle.recv(65536) == b""  # closed by the gateway, not by a timeout here
    idle.close()
    # The upload goes on to its normal answer.
    upload.sendall(MEDIA[len(MEDIA) // 2 :])
    answer = _read_all(upload)
    upload.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 202"), answer[:500]
    assert b"Connection: close" in head
    video = json.loads(body)
    assert f"Location: {url}backends/azure/videos/{video['id']}".encode() in head
    assert proc.wait(timeout=drain_s) == 0
    assert time.monotonic() - signalled < drain_s  # it did not wait for the whole drain
    log = (tmp_path / "log").read_text()
    assert "draining: " in log


def _upstream_videos(azure: str) -> list[str]:
    """The file names of the videos the Azure simulator at ``azure`` holds."""
    request = urllib.request.Request(
        azure + "/api/Videos", headers={"Authorization": f"Bearer {UPSTREAM_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return [str(video["OriginalFileName"]) for video in json.load(response)]


def test_a_request_that_outlasts_drain_s_is_cut_and_the_process_exits_0(
    tmp_path: Path, process: Started
) -> None:
    drain_s = 1.0
    # The upstream outlives the gateway: what the cut upload left there can be seen after.
    _, azure = processes.start(
        process, "simulate", "azure", "--port", "0", "--token", UPSTREAM_TOKEN, "--empty"
    )
    config = _config(tmp_path, drain_s, azure.rstrip("/"))
    proc, url = processes.start(process, "serve", "--config", str(config), log=tmp_path / "log")
    upload = _start_upload(url, password_token(url, "uploader", PASSWORD))
    assert _upstream_videos(azure.rstrip("/")) == ["late.mp4"]
    proc.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    # The rest of the body never comes: the request is cut once drain_s is over.
    assert proc.wait(timeout=drain_s + 20) == 0
    took = time.monotonic() - signalled
    assert drain_s <= took < drain_s + 8  # cut, given a moment to clean up, then gone
    try:
        answer = _read_all(upload)
    except ConnectionResetError:
        answer = b""
    finally:
        upload.close()
    assert not answer.startswith(b"HTTP/1.1 202")
    # The half-made video was deleted upstream on the way out.
    assert _upstream_videos(azure.rstrip("/")) == []


def test_a_second_sigterm_cuts_the_drain_short(tmp_path: Path, process: Started) -> None:
    drain_s = 120.0
    proc, url = processes.start(
        process, "serve", "--config", str(_config(tmp_path, drain_s)), log=tmp_path / "log"
    )
    parts = urllib.parse.urlsplit(url)
    upload = _start_upload(url, password_token(url, "uploader", PASSWORD))
    proc.send_signal(signal.SIGTERM)
    wait_until(lambda: _refused(parts.hostname or "", parts.port or 0), "refusing connections")
    proc.send_signal(signal.SIGTERM)  # the operator will not wait for drain_s
    assert proc.wait(timeout=drain_s / 4) == 0
    upload.close()
    assert "cutting the requests still in flight" in (tmp_path / "log").read_text()
