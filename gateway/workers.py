"""Several serving processes on one port: ``server.workers``.

With ``server.workers = N`` above 1, ``hal-gateway serve`` is a **supervisor**: it binds
the address first (``SO_REUSEPORT``, not listening; port 0 is chosen here, once) and holds
it, then starts N **workers**, each ``python -m gateway serve --worker K`` on that port: a
whole gateway with its own event loop and application, listening on a socket of its own
with ``SO_REUSEPORT``, so the kernel spreads new connections over them. Whatever the
workers must agree on lives in Redis (the config requires the redis session store).

- **Ready**: a worker's first line on its standard output (a pipe to the supervisor) is
  its ``hal-gateway serving on`` line; once every worker has said it, the supervisor
  prints the first one's, once. Their logs go to the standard error they share.
- **A worker that ends unasked** (a crash, a kill) is logged and replaced by a new one on
  the same port; the others serve on meanwhile. A worker that does not start (it ends
  first, or stays silent for :data:`START_TIMEOUT_S`) stops everything: exit code 1.
- **Stopping**: SIGINT or SIGTERM to the supervisor sends SIGTERM to every worker, which
  drains as a single process does (its requests in flight get ``server.drain_s``); one
  still running :data:`STOP_MARGIN_S` after that is killed. Exit code 0 unless one had
  to be.
- **No orphans**: a worker's standard input is a pipe from the supervisor that nothing is
  written to. When the supervisor ends, however it ends (SIGKILL too), the pipe closes and
  the worker stops (:func:`on_supervisor_end`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

log = logging.getLogger(__name__)

START_TIMEOUT_S: Final = 60.0
"""How long a worker may take from its start to its ``serving on`` line."""
STOP_MARGIN_S: Final = 30.0
"""How long a worker may take to shut down beyond ``server.drain_s`` before a kill: time
to cut the requests still in flight, end upstream sessions and close the simulators."""

Command = Callable[[int], Sequence[str]]
"""Worker number (1..N) → the command line that runs that worker."""
T = TypeVar("T")


class WorkerFailed(Exception):
    """A worker did not start."""


def reserve(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` with ``SO_REUSEPORT``, not listening.

    Held by the supervisor for its whole life, it keeps the port for the workers (only
    sockets of the same user with ``SO_REUSEPORT`` may join it) and, for port 0, picks
    the one port they all use. ``OSError`` when the port is taken.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        # As asyncio sets them on the workers' sockets: SO_REUSEADDR lets a restart bind
        # while connections of the last run linger in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


def supervise(command: Command, count: int, *, drain_s: float = 30.0) -> int:
    """Run ``count`` workers until SIGINT or SIGTERM; the exit code (see the module doc).

    ``drain_s``: the workers' ``server.drain_s``; none is killed while within it.
    """
    return asyncio.run(_Supervisor(command, count, drain_s + STOP_MARGIN_S).run())


def on_supervisor_end(callback: Callable[[], None]) -> None:
    """In a worker: call ``callback`` once the supervisor ends (its pipe on stdin closes)."""
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()

    def readable() -> None:
        if os.read(fd, 512):
            return  # the supervisor writes nothing; whatever came is not meant for us
        loop.remove_reader(fd)
        log.warning("the supervisor ended: stopping")
        callback()

    loop.add_reader(fd, readable)


def _ending(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


class _Supervisor:
    """The workers of one ``serve``, by number."""

    def __init__(self, command: Command, count: int, stop_timeout_s: float) -> None:
        self._command = command
        self._count = count
        self._stop_timeout_s = stop_timeout_s
        self._workers: dict[int, asyncio.subprocess.Process] = {}
        self._relays: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._stopping.set)
        failed = False
        try:
            await self._serve()
        except WorkerFailed as exc:
            log.error("%s; stopping the other workers", exc)
            failed = True
        finally:
            clean = await self._stop_all()
        return 1 if failed or not clean else 0

    async def _serve(self) -> None:
        """Start every worker, announce them, then keep them until a stop is asked."""
        numbers = range(1, self._count + 1)
        lines = await self._unless_stopping(*(self._start(n) for n in numbers))
        if lines is None:
            return
        # The first line on stdout says where to go; scripts and tests read it.
        print(lines[0], end="", flush=True)
        pids = ", ".join(str(self._workers[n].pid) for n in numbers)
        log.info("%d workers serving (pids %s)", self._count, pids)
        await self._unless_stopping(*(self._keep(n) for n in numbers))

    async def _start(self, number: int) -> str:
        """Start worker ``number``; its ``serving on`` line once it serves."""
        proc = await asyncio.create_subprocess_exec(
            *self._command(number), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        self._workers[number] = proc
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT_S)
        except TimeoutError:
            raise WorkerFailed(
                f"worker {number} (pid {proc.pid}) did not start within {START_TIMEOUT_S:g} s"
            ) from None
        if not line:
            code = await proc.wait()
            raise WorkerFailed(
                f"worker {number} (pid {proc.pid}) did not start ({_ending(code)}; "
                "its log is above)"
            )
        relay = asyncio.create_task(_relay(proc.stdout))
        self._relays.add(relay)
        relay.add_done_callback(self._relays.discard)
        return line.decode()

    async def _keep(self, number: int) -> None:
        """Replace worker ``number`` whenever it ends unasked."""
        while True:
            proc = self._workers[number]
            code = await proc.wait()
            if self._stopping.is_set():
                return
            log.warning(
                "worker %d (pid %d) ended unexpectedly (%s); starting a new one",
                number,
                proc.pid,
                _ending(code),
            )
            await self._start(number)
            log.info("worker %d serving again (pid %d)", number, self._workers[number].pid)

    async def _unless_stopping(self, *work: Awaitable[T]) -> list[T] | None:
        """Every result of ``work``; None as soon as a stop is asked (the rest is cancelled).

        The first failure is raised, the rest cancelled.
        """
        tasks = [asyncio.ensure_future(w) for w in work]
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            waiting: set[asyncio.Future[Any]] = {stop, *tasks}
            while len(waiting) > 1:
                done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if stop in done:
                    return None
                for task in done:
                    task.result()  # raises its failure
        finally:
            for task in (*tasks, stop):
                task.cancel()
            # Collected, so that none is left pending or with an unread failure.
            await asyncio.gather(*tasks, stop, return_exceptions=True)
        return [task.result() for task in tasks]

    async def _stop_all(self) -> bool:
        """SIGTERM to every running worker; wait, kill the late ones. True if none was."""
        running = [p for p in self._workers.values() if p.returncode is None]
        late: list[asyncio.subprocess.Process] = []
        if running:
            log.info("stopping %d workers", len(running))
            for proc in running:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
            ended = asyncio.gather(*(p.wait() for p in running))
            try:
                await asyncio.wait_for(asyncio.shield(ended), self._stop_timeout_s)
            except TimeoutError:
                late = [p for p in running if p.returncode is None]
                log.warning(
                    "%d workers still running %g s after SIGTERM: killed",
                    len(late),
                    self._stop_timeout_s,
                )
                for proc in late:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                await ended
        for number, proc in self._workers.items():
            code = proc.returncode
            # Killed by the SIGTERM sent: it came before the worker's handler was set, or
            # after its loop ended; either way nothing was left to shut down.
            if code is not None and code not in (0, -signal.SIGTERM):
                log.warning("worker %d (pid %d) ended: %s", number, proc.pid, _ending(code))
        await asyncio.gather(*self._relays, return_exceptions=True)
        return not late


async def _relay(stream: asyncio.StreamReader) -> None:
    """Pass on what a worker prints after its first line (a full pipe would stall it)."""
    async for line in stream:
        sys.stdout.write(line.decode(errors="replace"))
        sys.stdout.flush()
