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
  a 503 problem and is closed at once;
- **parser errors**: a request aiohttp's HTTP parser refuses (bad or duplicate
  ``Content-Length``, ``Content-Length`` with ``Transfer-Encoding``, a line over the
  parser's limit, a control or non-ASCII byte in the target, an invalid method, a folded
  header, a duplicate ``Host``...) gets a 400 ``bad-request`` problem in the gateway's
  own words, never aiohttp's ``text/plain`` answer that repeats the request's bytes, and
  the connection closes. aiohttp raises one error for a request line and a header line
  over its limit alike, so neither can be told apart for a 414.

The head timeout, the cap and parser errors answer before any request is parsed, so no
middleware or response hook runs: their problems are written here, with a ``type``
relative to the public URL (empty: to the server), the security headers of every answer
and ``Server: hal-media-gateway``.

**Draining.** Stopping (:meth:`_GuardedRunner.cleanup`) first marks the app's
:class:`Drain` (``/readyz`` answers 503 ``draining`` from then on, which only a request
already in flight can see, and every answer says ``Connection: close``), then closes the
listening socket (new connections, readiness probes too, are refused) and the idle
kept-alive connections, lets the requests in flight finish for up to the runner's
``shutdown_timeout`` (``server.drain_s``, given by the command) or until :meth:`Drain.cut`
(a second signal), reading their bodies on, and then cancels the rest (each gets
:data:`CUT_GRACE_S` to clean up: a half-made upload deleted upstream, say). aiohttp's own
shutdown stops reading every connection at once, which would leave an upload in flight
waiting for bytes it drops.

This reaches into aiohttp's request handler (its waiters, current request, lingering time,
error handler and whether a request is in progress): aiohttp offers no hook for the
timeouts, the parser's errors or a drain that reads on.
``aiohttp>=3.14`` is pinned for it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import hdrs, http_exceptions, web
from aiohttp.http_parser import SINGLETON_HEADERS
from aiohttp.web_protocol import RequestHandler, _ErrInfo

from gateway.web import accesslog, errors, jsoncodec, problem, security
from gateway.web.hosts import SERVER_NAME
from gateway.web.settings import HTTP, HttpSettings

log = logging.getLogger(__name__)

_REASONS = {408: "Request Timeout", 503: "Service Unavailable"}
CUT_GRACE_S: Final = 1.0
"""What a request still running at the end of the drain gets, once cancelled, to clean up."""


class Drain:
    """Whether the server is shutting down: answering what is in flight, taking nothing new."""

    def __init__(self) -> None:
        self.since: float | None = None
        """When the drain began (epoch seconds); None while serving."""
        self.cut_short = asyncio.Event()
        """Set by :meth:`cut`: the requests still in flight are cut now."""

    @property
    def draining(self) -> bool:
        """True once the drain began."""
        return self.since is not None

    def begin(self) -> None:
        """Mark the drain's start; later calls change nothing."""
        if self.since is None:
            self.since = time.time()

    def cut(self) -> None:
        """End the drain at once (an operator who asked twice): what runs is cut now."""
        self.cut_short.set()


DRAIN: Final = web.AppKey("drain", Drain)
"""The served application's drain state, set by :func:`serve`."""


async def serve(
    app: web.Application,
    host: str,
    port: int,
    *,
    reuse_port: bool = False,
    log_tag: str = "",
    **runner_args: Any,
) -> web.AppRunner:
    """Serve ``app`` on ``host:port`` with the guards; the caller cleans the runner up.

    ``app[HTTP]`` holds the timeouts and the cap; ``runner_args`` go to aiohttp's runner,
    with the gateway's access log (:mod:`gateway.web.accesslog`, its lines tagged with
    ``log_tag``) unless they name another. ``reuse_port``: listen with ``SO_REUSEPORT``, on
    a port other processes share (the workers of ``server.workers``).
    """
    app[DRAIN] = Drain()  # before the runner freezes the app
    app.on_response_prepare.append(_close_when_draining)
    runner = _GuardedRunner(app, **{**accesslog.runner_arguments(log_tag), **runner_args})
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def _close_when_draining(request: web.Request, response: web.StreamResponse) -> None:
    """A draining server's answers end their connection, and tell the client so."""
    if request.app[DRAIN].draining:
        response.force_close()
        # The hooks run after aiohttp wrote its Connection header into the head.
        response.headers[hdrs.CONNECTION] = "close"


class _GuardedRunner(web.AppRunner):
    """An app runner whose server speaks :class:`_GuardedProtocol`."""

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        # The app's own server, rebuilt with the same handler and handler arguments
        # (aiohttp keeps them in ``_kwargs``) but another protocol class.
        return _GuardedServer(
            plain.request_handler,
            settings=self.app[HTTP],
            drain=self.app.get(DRAIN),
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=asyncio.get_running_loop(),
            **plain._kwargs,
        )

    async def cleanup(self) -> None:
        """Drain and stop serving; the access lines of the last requests are written too."""
        drain = self.app.get(DRAIN)
        server = self.server
        # Only a server that listened drains (not one whose address could not be bound).
        if drain is not None and isinstance(server, _GuardedServer) and self.addresses:
            drain.begin()
            log.info(
                "draining: %d connections open; requests in flight get up to %g s",
                server.open_connections,
                self._shutdown_timeout,
            )
        try:
            await super().cleanup()
        finally:
            accesslog.LINES.flush()


class _GuardedServer(web.Server):
    """aiohttp's server, counting its connections and making guarded protocols."""

    def __init__(
        self, handler: Any, *, settings: HttpSettings, drain: Drain | None, **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        self.settings = settings
        self.drain = drain
        self.open_connections = 0

    def __call__(self) -> RequestHandler:
        return _GuardedProtocol(self, loop=self._loop, **self._kwargs)

    def pre_shutdown(self) -> None:
        """Close the idle connections; busy ones go on reading their request's body."""
        for connection in self._connections:
            if isinstance(connection, _GuardedProtocol) and connection.busy:
                continue  # closed after its answer (Connection: close)
            connection.close()


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

    # -- draining ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a request is being handled on the connection."""
        return self._request_in_progress

    async def shutdown(self, timeout: float | None = 15.0) -> None:  # noqa: ASYNC109 - aiohttp's
        """Let the request in flight finish within ``timeout``, reading on; then close.

        aiohttp's own shutdown first sets the flag that makes the connection drop every
        byte that arrives, so an upload's body would stop half-way: it is called only
        once the request is done, or its time is up (it then cancels it).
        """
        if self._request_in_progress and timeout:
            waiter = self._handler_waiter = self._loop.create_future()
            drain = self._guards.drain
            cut = asyncio.ensure_future(
                drain.cut_short.wait() if drain is not None else asyncio.Event().wait()
            )
            try:
                await asyncio.wait({waiter, cut}, timeout=timeout, return_when="FIRST_COMPLETED")
                if not waiter.done():
                    why = "the drain was cut short" if cut.done() else f"after {timeout:g} s"
                    log.warning("draining: cut a request still running: %s", why)
                    if self._current_request is not None:
                        # As aiohttp cuts one; the handler's clean-up gets CUT_GRACE_S below.
                        self._current_request._cancel(asyncio.CancelledError())
            finally:
                cut.cancel()
                self._handler_waiter = None
        if not self._request_in_progress:
            self.close()  # its answer is out: nothing more is read
        await super().shutdown(CUT_GRACE_S)

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

    # -- parser errors -----------------------------------------------------------------

    def _make_error_handler(
        self, err_info: _ErrInfo
    ) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
        """A 400 problem for a request the parser refused, instead of aiohttp's echo."""
        first_request = self._request_count == 1

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            return self._refuse_malformed(err_info.exc, request.remote, first_request)

        return handler

    def _refuse_malformed(
        self, exc: BaseException, peer: str | None, first_request: bool
    ) -> web.Response:
        error = errors.BadRequest(malformed_detail(exc))
        incident = str(uuid.uuid4())
        # Non-HTTP bytes (a TLS handshake, a scanner) on a new connection are internet
        # noise; aiohttp itself logs them at debug level.
        noise = first_request and isinstance(exc, http_exceptions.BadHttpMethod)
        log.log(
            logging.DEBUG if noise else logging.INFO,
            "refused a malformed request from %s: %s (%s; incident %s)",
            peer,
            error.detail,
            type(exc).__name__,
            incident,
        )
        response = web.Response(
            status=error.http_status,
            body=_problem_bytes(error, incident, self._settings),
            content_type=problem.MEDIA_TYPE,
            headers=_own_headers(incident),
        )
        response.force_close()
        return response

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
    body = _problem_bytes(error, incident, settings)
    headers = {
        "Content-Type": problem.MEDIA_TYPE,
        "Content-Length": str(len(body)),
        **_own_headers(incident),
        **error.headers,
    }
    head = f"HTTP/1.1 {error.http_status} {_REASONS[error.http_status]}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    assert isinstance(transport, asyncio.WriteTransport)
    transport.write(head.encode("latin-1") + b"\r\n" + body)
    transport.close()  # after the buffer is written


def _problem_bytes(error: errors.GatewayError, incident: str, settings: HttpSettings) -> bytes:
    base = settings.public_url.rstrip("/")
    doc = problem.body(
        error.http_status, error.problem_code, error.detail, incident, base, error.extra
    )
    return jsoncodec.dumps(doc)


def _own_headers(incident: str) -> dict[str, str]:
    """The headers of an answer written here: what the response hooks would have added."""
    return {
        hdrs.CONNECTION: "close",
        "X-Request-Id": incident,
        hdrs.SERVER: SERVER_NAME,
        **security.EVERY_ANSWER,
        "Content-Security-Policy": security.OWN_POLICY,
    }


_PARSER_REASONS = (
    ("Duplicate Content-Length", "Content-Length is given more than once"),
    (
        "can't be present with",
        "Content-Length and Transfer-Encoding are both given: the body's length is ambiguous",
    ),
    ("Content-Length", "Content-Length is not a number of bytes"),
    ("Transfer-Encoding", "Transfer-Encoding is not one the gateway reads (chunked, last)"),
    (
        "whitespace",
        "a header line starts or its name ends with whitespace: folded (obs-fold) "
        "or padded headers are not accepted",
    ),
    ("Missing 'Host'", "an HTTP/1.1 request must have a Host header"),
    ("Too many headers", "the request has more headers than the gateway reads"),
    ("header", "a header's name or value holds a byte no header may hold"),
)
"""Parser message fragment → what the problem says: aiohttp's words repeat the bytes."""
_DUPLICATE = re.compile(r"Duplicate '([!#$%&'*+.^_`|~0-9A-Za-z-]+)' header")


def malformed_detail(exc: BaseException) -> str:
    """The problem detail for a parser error: the gateway's words, none of the request's."""
    message = getattr(exc, "message", "") or ""
    duplicate = _DUPLICATE.search(message)
    if duplicate and duplicate.group(1).lower() in SINGLETON_HEADERS:
        return f"the {duplicate.group(1).title()} header may appear once and appears twice"
    if isinstance(exc, http_exceptions.LineTooLong):
        limit = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        most = f"{limit} bytes, " if limit is not None else ""
        return (
            "a line of the request's head (the request line or a header) is longer than "
            f"the gateway reads ({most}server.max_uri_bytes sets the request line's limit)"
        )
    if isinstance(exc, http_exceptions.BadHttpMethod):
        if "HTTPS" in message:
            return "TLS was sent to a plain HTTP port"
        return "the request's method is not a valid HTTP method name"
    if isinstance(exc, http_exceptions.InvalidURLError):
        return (
            "the request target is not a valid URL: it holds a byte no URL may hold "
            "(a control byte, a space or a byte above 0x7E, which must be %-encoded)"
        )
    if isinstance(exc, http_exceptions.BadStatusLine):
        return "the request line is not 'METHOD target HTTP/1.1'"
    head = message.split("\n", 1)[0]
    for fragment, detail in _PARSER_REASONS:
        if fragment in head:
            return detail
    return "the request is not valid HTTP/1.1: the gateway cannot read it"
