"""Serving the application on a TCP socket, guarded against slow and idle clients.

aiohttp bounds a connection's idle time (``keepalive_timeout``, from
``server.keepalive_timeout_s`` in the app's handler arguments) but nothing else: a client
that stops half-way through a request's head or body held its connection, and a task,
for ever, and any number of them could. The protocol here adds what is missing:

- **head timeout**: once a client starts sending a request's head, it has
  ``server.header_timeout_s`` to finish it; else the answer is a 408 problem and the
  connection closes;
- **body timeout**: while a handler waits for the request body, ``server.body_timeout_s``
  may pass between two reads (per read, so slow uploads that keep moving go on); else
  the read fails with :class:`~gateway.web.errors.RequestTimeout` (a 408 problem from the
  problems middleware) and the connection closes after the answer. Time the gateway
  itself makes the client wait (reading paused because the handler is busy) never counts;
- **connection cap**: beyond ``server.max_connections`` open connections, a new one gets
  a 503 problem and is closed at once.

The head timeout and the cap answer before any request is parsed, so their problems are
written here, raw, with a ``type`` relative to the public URL (empty: to the server).

This reaches into aiohttp's request handler (its waiter, current request and lingering
time): aiohttp offers no hook for either timeout. ``aiohttp>=3.14`` is pinned for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from gateway.web import errors, problem
from gateway.web.settings import HTTP, HttpSettings

log = logging.getLogger(__name__)

_REASONS = {408: "Request Timeout", 503: "Service Unavailable"}


async def serve(app: web.Application, host: str, port: int, **runner_args: Any) -> web.AppRunner:
    """Serve ``app`` on ``host:port`` with the guards; the caller cleans the runner up.

    ``app[HTTP]`` holds the timeouts and the cap; ``runner_args`` go to aiohttp's runner.
    """
    runner = _GuardedRunner(app, **runner_args)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


class _GuardedRunner(web.AppRunner):
    """An app runner whose server speaks :class:`_GuardedProtocol`."""

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        # The app's own server, rebuilt with the same handler and handler arguments
        # (aiohttp keeps them in ``_kwargs``) but another protocol class.
        return _GuardedServer(
            plain.request_handler,
            settings=self.app[HTTP],
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=asyncio.get_running_loop(),
            **plain._kwargs,
        )


class _GuardedServer(web.Server):
    """aiohttp's server, counting its connections and making guarded protocols."""

    def __init__(self, handler: Any, *, settings: HttpSettings, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.settings = settings
        self.open_connections = 0

    def __call__(self) -> RequestHandler:
        return _GuardedProtocol(self, loop=self._loop, **self._kwargs)


class _GuardedProtocol(RequestHandler):
    """aiohttp's request handler with a head timeout, a body timeout and the cap."""

    def __init__(self, manager: _GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guards = manager
        self._settings = manager.settings
        self._counted = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._last_read = 0.0

    # -- the cap -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._guards.open_connections >= self._settings.max_connections:
            log.warning(
                "refused a connection: %d are open, server.max_connections is %d",
                self._guards.open_connections,
                self._settings.max_connections,
            )
            error = errors.TooManyConnections(
                f"the gateway serves {self._settings.max_connections} connections at most "
                "and all are taken; try again shortly",
                headers={"Retry-After": "1"},
            )
            _answer_raw(transport, error, self._settings)
            return
        self._guards.open_connections += 1
        self._counted = True
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self._counted:
            return  # refused at the cap: aiohttp never saw it
        self._counted = False
        self._guards.open_connections -= 1
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    # -- reading -----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        now = self._loop.time()
        self._last_read = now
        waiting_for_head = self._waiter is not None and not self._waiter.done()
        if data and waiting_for_head and self._head_timer is None:
            self._head_timer = self._loop.call_at(
                now + self._settings.header_timeout_s, self._head_timed_out
            )
        requests_before = self._request_count
        super().data_received(data)
        if self._request_count > requests_before and self._head_timer is not None:
            self._head_timer.cancel()  # a whole head arrived
            self._head_timer = None
        if self._body_timer is None and not self._close and not self._force_close:
            self._body_timer = self._loop.call_at(
                now + self._settings.body_timeout_s, self._check_body
            )

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._waiter is None or self._waiter.done() or self.transport is None:
            return  # a request arrived or the connection ended meanwhile
        error = errors.RequestTimeout(
            "the request's head did not arrive within "
            f"{self._settings.header_timeout_s:g} s of its first byte"
        )
        log.info("closed a connection: %s", error.detail)
        _answer_raw(self.transport, error, self._settings)
        self.force_close()

    def _check_body(self) -> None:
        """Fail the body read of a client that stopped sending it (see the module doc)."""
        self._body_timer = None
        request = self._current_request
        if request is None or request.content.is_eof() or self._close or self._force_close:
            return  # nothing waits for body bytes; the next data re-arms the check
        now = self._loop.time()
        if self._reading_paused:
            # The gateway is not reading (the handler is busy): not the client's delay.
            self._last_read = now
        deadline = self._last_read + self._settings.body_timeout_s
        if now < deadline:
            self._body_timer = self._loop.call_at(deadline, self._check_body)
            return
        request.content.set_exception(
            errors.RequestTimeout(
                f"the request body stopped: no bytes for {self._settings.body_timeout_s:g} s "
                f"(server.body_timeout_s)"
            )
        )
        # The rest of the body will not come: answer, then close instead of lingering
        # to read it (a lingering read would meet the exception just set).
        self._lingering_time = 0.0
        self.close()


def _answer_raw(
    transport: asyncio.BaseTransport, error: errors.GatewayError, settings: HttpSettings
) -> None:
    """Write ``error`` as a whole HTTP/1.1 problem answer and close the transport.

    For answers given before any request was parsed: no request, no Host, no middleware.
    """
    incident = str(uuid.uuid4())
    base = settings.public_url.rstrip("/")
    doc = problem.body(
        error.http_status, error.problem_code, error.detail, incident, base, error.extra
    )
    body = json.dumps(doc).encode()
    headers = {
        "Content-Type": problem.MEDIA_TYPE,
        "Content-Length": str(len(body)),
        "Connection": "close",
        "X-Request-Id": incident,
        "X-Content-Type-Options": "nosniff",
        **error.headers,
    }
    head = f"HTTP/1.1 {error.http_status} {_REASONS[error.http_status]}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    assert isinstance(transport, asyncio.WriteTransport)
    transport.write(head.encode("latin-1") + b"\r\n" + body)
    transport.close()  # after the buffer is written
