"""The access log: one line per answered request, cheap enough to stay on.

A line reads ``127.0.0.1 "GET /backends/a/media-objects/x HTTP/1.1" 200 1888 0.001234s
req=3f0c...``: the peer, the request line, the status, the bytes of the answer (head and
body), the time taken and the request id, so that a problem's ``incident`` finds its line.

aiohttp's own access logger interprets its format string for every request; here the
line is one fixed format, and its arguments are formatted by the handler only if the
record is written (``gateway.access`` at INFO).
"""

from __future__ import annotations

import logging
from typing import Final

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gateway.web.middlewares import request_id

LOGGER_NAME: Final = "gateway.access"
_LINE: Final = '%s "%s %s HTTP/%d.%d" %d %d %.6fs req=%s'


class AccessLog(AbstractAccessLogger):
    """aiohttp's access logger for the gateway: the line above, at INFO."""

    __slots__ = ()

    @property
    def enabled(self) -> bool:
        """Whether lines are written at all: aiohttp skips the call otherwise."""
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Log one answered request."""
        version = request.version
        self.logger.info(
            _LINE,
            request.remote,
            request.method,
            request.raw_path,
            version.major,
            version.minor,
            response.status,
            response.body_length,
            time,
            request_id(request),
        )


def runner_arguments() -> dict[str, object]:
    """The access-log arguments of ``web.AppRunner`` for the gateway."""
    return {"access_log_class": AccessLog, "access_log": logging.getLogger(LOGGER_NAME)}
