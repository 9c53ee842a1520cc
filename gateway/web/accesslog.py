"""The access log: one line per answered request, cheap enough to stay on.

A line reads ``2026-12-03 08:26:05,123 INFO gateway.access: 127.0.0.1 "GET /backends/a/
media-objects/x HTTP/1.1" 200 1888 0.001234s req=3f0c...``: the time, the peer, the
request line, the status, the bytes of the answer (head and body), the time taken and
the request id, so that a problem's ``incident`` finds its line. It has the shape of the
gateway's other log lines, and the logger ``gateway.access`` decides as for them whether
lines are written (INFO and below).

The lines do not go through :mod:`logging`'s records and handlers: those cost a gateway
answered from its cache a sixth of its time. They are written to standard error by
:class:`Lines`, together, once per turn of the event loop.

With ``server.log_format = "json"`` each line is a JSON object instead, with the same
facts as fields (``request_id``, ``method``, ``path``, ``route``, ``status``, ``bytes``,
``duration_s``, ``peer``, and ``backend`` and ``identity`` where known): the command
hands the formatter in with :func:`write_lines_with`.

Query parameters that carry a credential (an OAuth code or state coming back from an
identity provider, a token, a password) are logged as ``REDACTED`` (:func:`logged_target`):
log files are read by more people than the credentials are meant for.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from typing import Final
from urllib.parse import unquote

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gateway.web.middlewares import request_id

LOGGER_NAME: Final = "gateway.access"
SECRET_PARAMETERS: Final = frozenset(
    {
        "access_token",
        "client_secret",
        "code",
        "code_verifier",
        "id_token",
        "id_token_hint",
        "password",
        "refresh_token",
        "state",
        "token",
    }
)
"""Query parameters whose values never reach a log line."""
REDACTED: Final = "REDACTED"


def logged_target(request: web.BaseRequest) -> str:
    """The request target as logged: :data:`SECRET_PARAMETERS` values replaced."""
    target = request.raw_path
    path, mark, query = target.partition("?")
    if not mark:
        return target  # the usual case, kept cheap
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        if equals and unquote(name).lower() in SECRET_PARAMETERS:
            pair = f"{name}={REDACTED}"
        pairs.append(pair)
    return f"{path}?{'&'.join(pairs)}"


class Lines:
    """Lines for standard error, written together at the end of the event loop's turn."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._second = -1
        self._stamp = ""

    def stamp(self) -> str:
        """The time as :mod:`logging` writes ``asctime``, milliseconds included."""
        now = time.time()
        second = int(now)
        if second != self._second:  # the date and time change once a second
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._stamp},{int((now - second) * 1000):03d}"

    def add(self, line: str) -> None:
        """Queue ``line``; the first of a turn asks the loop to write them after it."""
        if not self._pending:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop runs: nothing would ever write it later
                self._pending.append(line)
                self.flush()
                return
        self._pending.append(line)

    def flush(self) -> None:
        """Write the queued lines now."""
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        sys.stderr.write(text)
        sys.stderr.flush()


LINES: Final = Lines()
LineMaker = Callable[[web.BaseRequest, web.StreamResponse, float], str]
"""Makes the whole line of one answered request: request, response, seconds taken."""
_made_by: LineMaker | None = None


def write_lines_with(maker: LineMaker | None) -> None:
    """Make every access line with ``maker`` from now on (None: the text line above)."""
    global _made_by  # one access log per process, as there is one standard error
    _made_by = maker


class AccessLog(AbstractAccessLogger):
    """aiohttp's access logger for the gateway: the line above.

    aiohttp hands it the ``access_log_format`` of the runner; here that is what follows
    the logger's name (a worker's `` (worker 2)``), not a format.
    """

    __slots__ = ()

    @property
    def enabled(self) -> bool:
        """Whether lines are written at all: aiohttp skips the call otherwise."""
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Log one answered request."""
        if _made_by is not None:
            LINES.add(_made_by(request, response, time))
            return
        version = request.version
        LINES.add(
            f"{LINES.stamp()} INFO {LOGGER_NAME}{self.log_format}: {request.remote} "
            f'"{request.method} {logged_target(request)} HTTP/{version.major}.{version.minor}" '
            f"{response.status} {response.body_length} {time:.6f}s req={request_id(request)}\n"
        )


def runner_arguments(tag: str = "") -> dict[str, object]:
    """The access-log arguments of ``web.AppRunner``; ``tag`` follows the logger's name."""
    return {
        "access_log_class": AccessLog,
        "access_log": logging.getLogger(LOGGER_NAME),
        "access_log_format": tag,
    }
