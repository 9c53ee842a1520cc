"""Real ``hal-gateway`` processes for tests that run the command as an operator does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import pytest

Started = list[subprocess.Popen[str]]


@pytest.fixture
def process() -> Iterator[Started]:
    """Processes started by :func:`start`; killed (if still running) after the test."""
    started: Started = []
    yield started
    stop(started)


def stop(started: Started) -> None:
    """Kill every process of ``started`` still running, and close its pipes."""
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def start(
    started: Started,
    *args: str,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> tuple[subprocess.Popen[str], str]:
    """Run ``python -m gateway *args``; the URL its first line names.

    ``log`` receives the process's stderr (its log) instead of a pipe, for tests that
    read it afterwards or make many requests (a full pipe would stall the process).
    """
    stderr: int | IO[str] = subprocess.PIPE
    if log is not None:
        stderr = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if log is not None:
        assert not isinstance(stderr, int)
        stderr.close()  # the child has its own copy
    started.append(proc)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # blocks until the server says where it listens
    if "serving on http://" not in first:
        detail = log.read_text() if log else proc.stderr.read() if proc.stderr else first
        raise AssertionError(detail)
    return proc, first.rsplit(" ", 1)[1].strip()


def run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gateway *args`` to its end; its exit code and what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def password_token(url: str, username: str, password: str) -> str:
    """An access token from the token endpoint of the gateway at ``url`` (password grant)."""
    form = urllib.parse.urlencode(
        {"grant_type": "password", "username": username, "password": password}
    ).encode()
    with urllib.request.urlopen(url + "auth/token", data=form, timeout=10) as response:
        token: str = json.load(response)["access_token"]
        return token
