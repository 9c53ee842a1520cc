"""Real ``hal-gateway`` processes for tests that run the command as an operator does."""

from __future__ import annotations

import os
import subprocess
import sys
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
