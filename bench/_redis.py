"""redis-server for the benchmarks of a gateway whose state lives in Redis.

One server per use, in the foreground, on a free loopback port, with its log and working
directory in a temporary folder of its own; nothing is saved to disk.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from bench._processes import free_port, spawn, stop, tool, wait_for_port


def executable() -> str:
    """The redis-server executable; an error saying how to install it when there is none."""
    return tool("redis-server", "redis-server", "/usr/sbin")


@contextmanager
def server() -> Iterator[str]:
    """A redis-server on 127.0.0.1; yields its ``redis://`` URL, stops it after."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as folder:
        argv = [
            executable(),
            *("--bind", "127.0.0.1", "--port", str(port)),
            *("--save", "", "--appendonly", "no"),
            *("--dir", folder, "--logfile", f"{folder}/redis.log"),
        ]
        proc = spawn(argv)
        try:
            wait_for_port(proc, port, "redis-server")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop(proc)
