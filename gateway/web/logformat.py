"""Log lines as JSON objects, for ``server.log_format = "json"``.

Every line ``serve`` writes to standard error is then one JSON object, for a log
collector to read without parsing text::

    {"time": "2026-12-03T08:26:05.123Z", "level": "INFO",
     "logger": "gateway.web.middlewares", "message": "incident 5c4e...: GET ... -> 404 ...",
     "request_id": "5c4e...", "method": "GET", "route": "/backends/{name}/media-objects/{id}",
     "backend": "avalon", "identity": "ops", "status": 404, "worker": 2}

``time`` is UTC with milliseconds; ``request_id``, ``method``, ``route`` (the route's
template, never the path asked for; ``unmatched`` when no route serves it) and
``backend`` come with every line written while a request is handled (tasks it starts
included: :func:`gateway.web.middlewares.current_request`), ``identity`` once the caller
is known (their name: names are not secrets; never a token, cookie or password);
``status`` and ``duration_s`` where the line is about an answer; ``worker`` with several
workers; ``exc_type`` and ``stack`` (the traceback, one string) with an exception.
The access log writes its own lines (:mod:`gateway.web.accesslog`) with
:meth:`JsonFormatter.access`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final

from aiohttp import web

from gateway.web import accesslog, jsoncodec
from gateway.web.middlewares import current_request, request_id
from gateway.web.routing import UNMATCHED, route_label, route_meta

IdentityOf = Callable[[web.Request], str | None]
"""The name of the identity a request was authenticated as, if any."""
_FROM_RECORD: Final = ("status", "duration_s", "backend")
"""Fields a log call may give with ``extra=``."""


class _Clock:
    """ISO 8601 UTC times with milliseconds; the date and time change once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._stamp = ""

    def iso(self, when: float) -> str:
        second = int(when)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._stamp}.{int((when - second) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """A :class:`logging.Formatter` writing each record as one JSON object (see above).

    ``worker`` is this process's worker number (none for a single process or the
    supervisor); ``identity`` names the caller of a request.
    """

    def __init__(self, *, worker: int | None = None, identity: IdentityOf | None = None) -> None:
        super().__init__()
        self.worker = worker
        self._identity = identity
        self._clock = _Clock()

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        fields: dict[str, Any] = {
            "time": self._clock.iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = current_request()
        if request is not None:
            self._request_fields(request, fields)
        for key in _FROM_RECORD:
            value = record.__dict__.get(key)
            if value is not None:
                fields[key] = value
        if self.worker is not None:
            fields["worker"] = self.worker
        if record.exc_info and record.exc_info[0] is not None:
            fields["exc_type"] = _type_name(record.exc_info[0])
            fields["stack"] = self.formatException(record.exc_info)
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        return jsoncodec.dumps(fields).decode()

    def access(self, request: web.BaseRequest, response: web.StreamResponse, seconds: float) -> str:
        """The access log's line for one answered request, newline included."""
        target = accesslog.logged_target(request)
        fields: dict[str, Any] = {
            "time": self._clock.iso(time.time()),
            "level": "INFO",
            "logger": accesslog.LOGGER_NAME,
            "message": f"{request.method} {target} -> {response.status}",
        }
        if isinstance(request, web.Request):
            self._request_fields(request, fields)
        else:  # answered before any route was matched
            fields.update(request_id=request_id(request), method=request.method, route=UNMATCHED)
        fields["path"] = target
        fields["status"] = response.status
        fields["bytes"] = response.body_length
        fields["duration_s"] = round(seconds, 6)
        fields["peer"] = request.remote
        if self.worker is not None:
            fields["worker"] = self.worker
        return jsoncodec.dumps(fields).decode() + "\n"

    def _request_fields(self, request: web.Request, fields: dict[str, Any]) -> None:
        fields["request_id"] = request_id(request)
        fields["method"] = request.method
        fields["route"] = route_label(request)
        meta = route_meta(request)
        if meta is not None and meta.backend is not None:
            fields["backend"] = meta.backend
        name = self._identity(request) if self._identity is not None else None
        if name:
            fields["identity"] = name


def _type_name(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def install(level: str, *, worker: int | None = None, identity: IdentityOf | None = None) -> None:
    """Write every log line to standard error as JSON: the root logger's, the access log's,
    warnings', and an uncaught exception's."""
    formatter = JsonFormatter(worker=worker, identity=identity)
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.captureWarnings(True)
    accesslog.write_lines_with(formatter.access)
    sys.excepthook = _log_uncaught


def _log_uncaught(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    """``sys.excepthook``: a crash is a JSON line too, not a bare traceback."""
    logging.getLogger("gateway").critical(
        "uncaught %s: the process ends", kind.__name__, exc_info=(kind, value, traceback)
    )
