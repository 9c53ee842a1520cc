"""The one road to an upstream: a pooled HTTP client per backend.

:class:`UpstreamClient` owns one ``aiohttp.ClientSession`` for its backend, applies
the backend's time budget, retries transient failures of idempotent methods with
jittered exponential backoff, all within one budget per call (:mod:`.retries`), keeps
to the backend's cap on concurrent calls (:mod:`.slots`), leaves an upstream that keeps
failing alone for a while (:mod:`.breaker`), lets
the adapter's :class:`UpstreamAuth` add the upstream credentials (logging in again once
on a 401), sends every URL exactly as built (:mod:`.targets`), and translates every
``aiohttp`` client exception into a gateway error. No other module catches
``aiohttp.ClientError`` for upstream calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from gateway.upstream.auth import NoAuth, UpstreamAuth
from gateway.upstream.breaker import FAILURE_STATUSES, Breaker
from gateway.upstream.faults import ErrorReader, default_error_reader
from gateway.upstream.outcomes import IDEMPOTENT, lost_answer, may_have_acted
from gateway.upstream.response import UpstreamResponse as UpstreamResponse
from gateway.upstream.retries import Deadline, RetryPolicy, retry_after_s
from gateway.upstream.slots import CallSlots
from gateway.upstream.targets import exact_url
from gateway.web.errors import (
    GatewayError,
    UpstreamLoginFailed,
    UpstreamStatusError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.web.metrics import TIMEOUT, UNREACHABLE, UpstreamMetrics

log = logging.getLogger(__name__)

SHORT_SECRET: Final = 8
"""Secrets shorter than this are masked only as whole tokens."""
RETRY_STATUSES: Final = frozenset({502, 503, 504})
"""Upstream statuses worth another try of an idempotent call."""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _gateway_cause(exc: BaseException) -> GatewayError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, GatewayError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class UpstreamClient:
    """A pooled HTTP client for one backend; open with the app, close with it."""

    def __init__(
        self,
        backend: str,
        *,
        timeout_s: float,
        retries: int,
        auth: UpstreamAuth | None = None,
        error_reader: ErrorReader = default_error_reader,
        secrets: Sequence[str] = (),
        transfer_timeout_s: float = 3600.0,
        slots: CallSlots | None = None,
        breaker: Breaker | None = None,
        metrics: UpstreamMetrics | None = None,
    ) -> None:
        self.backend = backend
        self.metrics = metrics if metrics is not None else UpstreamMetrics.unrecorded(backend)
        """Where its exchanges and logins are counted."""
        self.slots = slots
        # Without one given, a breaker that never opens: the client alone changes nothing.
        self.breaker = breaker if breaker is not None else Breaker(backend, failures=0)
        self.timeout_s = timeout_s
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        # A media file takes longer than an API call, but must keep moving.
        self.transfer_timeout = aiohttp.ClientTimeout(
            total=transfer_timeout_s, sock_connect=timeout_s, sock_read=timeout_s
        )
        self.retry = RetryPolicy(attempts=retries)
        self.auth = auth or NoAuth()
        self._read_errors = error_reader
        self._secrets = [s for s in secrets if s]
        self._session: aiohttp.ClientSession | None = None
        self.base_url = ""
        self._base_origin = _origin("")

    def __repr__(self) -> str:
        return f"UpstreamClient({self.backend!r}, base_url={self.base_url!r})"

    async def open(self, base_url: str) -> None:
        """Create the pooled session for ``base_url``."""
        self.base_url = base_url.rstrip("/")
        self._base_origin = _origin(self.base_url)
        self._session = aiohttp.ClientSession(
            timeout=self.timeout,
            connector=aiohttp.TCPConnector(limit=100, limit_per_host=50),
            # No jar: one pool serves every identity, and a cookie kept from one user's
            # answer would go out with the next user's request. Login strategies that
            # need cookies carry them as headers, per identity.
            cookie_jar=aiohttp.DummyCookieJar(),
            raise_for_status=False,
            auto_decompress=True,
        )

    async def close(self, *, logout: bool = True) -> None:
        """Close the upstream session (logging out first, unless told not to) and the pool."""
        if self._session is None:
            return
        try:
            if logout:
                await self.auth.close(self)
        except Exception:  # shutdown goes on whatever the upstream says
            log.warning("backend %s: upstream logout failed", self.backend)
        finally:
            # Even when a logout that took too long is cut: the pool's sockets are let go.
            session, self._session = self._session, None
            await session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pooled session; for login strategies that talk to the upstream themselves."""
        if self._session is None:
            raise RuntimeError(f"upstream client of {self.backend} is not open")
        return self._session

    def url(self, path_or_url: str) -> str:
        """An absolute upstream URL for a path relative to the base URL."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base_url + (path_or_url if path_or_url.startswith("/") else "/" + path_or_url)

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: Sequence[int] = (),
        allow_redirects: bool = False,
        authenticate: bool = True,
        encoded: bool = False,
    ) -> UpstreamResponse:
        """Send a request and read the whole answer, within the backend's ``timeout_s``.

        An answer of 400 or more raises :class:`UpstreamStatusError` unless its status
        is listed in ``ok``. Idempotent methods are retried on connection failures and
        502/503/504 while the budget lasts (an upstream's ``Retry-After`` is waited for
        when it fits, and ends the retries when it does not); POST and PATCH never are.
        ``encoded`` sends the path exactly as given (already percent-encoded: an escaped
        ``;`` stays escaped); otherwise only what cannot stand in a URL is escaped.
        """
        method = method.upper()
        attempts = 1 + (self.retry.attempts if method in IDEMPOTENT else 0)
        deadline = Deadline(self.timeout_s)
        auth = self.auth.active()
        relogged = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._send(
                    method,
                    path_or_url,
                    params,
                    json_body,
                    data,
                    headers,
                    allow_redirects,
                    authenticate,
                    encoded,
                    deadline,
                )
            except UpstreamTimeout as exc:
                # The attempt had all that was left: the budget is spent.
                raise self._timeout(tries=attempt).unknown_outcome(exc.outcome_unknown) from None
            except UpstreamUnavailable:
                wait = self.retry.delay(attempt)
                if attempt >= attempts or wait >= deadline.remaining():
                    raise
                await asyncio.sleep(wait)
                continue
            if response.status == 401 and authenticate and auth.renewable and not relogged:
                # Credentials expired upstream: log in again, once.
                relogged = True
                attempt -= 1
                await auth.invalidate()
                continue
            if authenticate and response.status in auth.refusals:
                raise self.login_failed(response)
            if response.status in RETRY_STATUSES:
                asked = retry_after_s(response.headers.get("Retry-After"))
                wait = max(self.retry.delay(attempt), asked or 0.0)
                if attempt < attempts and wait < deadline.remaining():
                    await asyncio.sleep(wait)
                    continue
                if response.status not in ok:
                    unknown = lost_answer(method, response.status)
                    raise self.status_error(response, retry_after=asked).unknown_outcome(unknown)
            if response.status >= 400 and response.status not in ok:
                raise self.status_error(response)
            return response

    async def check(self, response: aiohttp.ClientResponse, ok: Sequence[int] = ()) -> None:
        """For :meth:`stream` callers: raise the gateway error of an upstream error answer."""
        if response.status < 400 or response.status in ok:
            return
        body = await self._read(response)
        read = UpstreamResponse(response.status, response.headers, body, "", self.backend)
        if response.status in self.auth.active().refusals:
            raise self.login_failed(read)
        raise self.status_error(read)

    def login_failed(self, response: UpstreamResponse) -> UpstreamLoginFailed:
        """The 503 for an upstream that refused the gateway's own credentials."""
        fault = self._read_errors(response.status, response.content_type, response.body)
        return UpstreamLoginFailed(
            f"backend {self.backend} refused the gateway's credentials; "
            "check the backend's configuration",
            backend=self.backend,
            upstream_status=response.status,
            errors=[self.scrub(m) for m in fault.messages],
            upstream_code=fault.code,
        )

    def status_error(
        self, response: UpstreamResponse, *, retry_after: float | None = None
    ) -> UpstreamStatusError:
        """The gateway error for an upstream error answer, messages cleaned of secrets.

        ``retry_after``: the wait the upstream asked for, passed on to the client.
        """
        fault = self._read_errors(response.status, response.content_type, response.body)
        headers = {}
        if retry_after is not None and math.isfinite(retry_after):
            headers["Retry-After"] = str(math.ceil(retry_after))
        return UpstreamStatusError(
            f"backend {self.backend} answered {response.status}",
            backend=self.backend,
            upstream_status=response.status,
            errors=[self.scrub(m) for m in fault.messages],
            upstream_code=fault.code,
            headers=headers,
        )

    def scrub(self, text: str) -> str:
        """``text`` with every configured secret and the upstream base URL masked.

        A short secret is masked where it stands as a token of its own: masking it
        inside every word would garble messages ("Grou*** with id 1") without hiding
        anything more.
        """
        for secret in self._secrets:
            if len(secret) >= SHORT_SECRET:
                text = text.replace(secret, "***")
            else:
                text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", "***", text)
        if self.base_url:
            text = text.replace(self.base_url, f"<{self.backend}>")
        return text

    async def _send(
        self,
        method: str,
        path_or_url: str,
        params: Any,
        json_body: Any,
        data: Any,
        headers: Mapping[str, str] | None,
        allow_redirects: bool,
        authenticate: bool,
        encoded: bool,
        deadline: Deadline,
    ) -> UpstreamResponse:
        async with self._exchange(
            method,
            path_or_url,
            params=params,
            json_body=json_body,
            data=data,
            headers=headers,
            allow_redirects=allow_redirects,
            authenticate=authenticate,
            encoded=encoded,
            limit=deadline,
        ) as response:
            body = await self._read(response, method)
            links = {str(rel): str(link.get("url", "")) for rel, link in response.links.items()}
            return UpstreamResponse(
                response.status, response.headers, body, str(response.url), self.backend, links
            )

    async def _read(self, response: aiohttp.ClientResponse, method: str = "GET") -> bytes:
        try:
            return await response.read()
        except TimeoutError as exc:
            raise self._timeout().unknown_outcome(may_have_acted(method)) from exc
        except aiohttp.ClientError as exc:
            raise self._unavailable(exc).unknown_outcome(may_have_acted(method)) from exc

    def stream(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Any = None,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        allow_redirects: bool = False,
        authenticate: bool = True,
        transfer: bool = False,
        encoded: bool = False,
    ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """One attempt, the answer unread: for streaming bodies either way. No retries.

        Credentials go only to the backend's own origin, whatever URL is asked for.
        ``transfer`` is for media bytes: the whole exchange gets the backend's
        ``transfer_timeout_s`` while each read still gets its ``timeout_s``, and it takes
        no slot of the backend's call cap.
        """
        return self._exchange(
            method,
            path_or_url,
            params=params,
            json_body=json_body,
            data=data,
            headers=headers,
            allow_redirects=allow_redirects,
            authenticate=authenticate,
            encoded=encoded,
            limit=self.transfer_timeout if transfer else self.timeout,
            # Media bytes move for as long as a client reads them: counted against the
            # call cap, one slow reader could hold every slot of the backend.
            capped=not transfer,
        )

    @asynccontextmanager
    async def _exchange(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Any,
        json_body: Any,
        data: Any,
        headers: Mapping[str, str] | None,
        allow_redirects: bool,
        authenticate: bool,
        encoded: bool,
        limit: aiohttp.ClientTimeout | Deadline,
        capped: bool = True,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        url = self.url(path_or_url)
        target = exact_url(url, encoded=encoded)  # before any login: a dot id sends nothing
        # Refused at once while the circuit is open: no login, no wait for a slot.
        self.breaker.check()
        send_headers = dict(headers or {})
        # A path is on the backend's origin by construction; an absolute URL is compared.
        absolute = path_or_url.startswith(("http://", "https://"))
        if authenticate and (not absolute or _origin(url) == self._base_origin):
            send_headers.update(await self.auth.active().headers(self))
        budget = limit.remaining() if isinstance(limit, Deadline) else None
        held = (
            self.slots.held(budget)
            if self.slots is not None and capped
            else contextlib.nullcontext()
        )
        async with held:
            if isinstance(limit, Deadline):
                # What the call's budget has left, logging in and waiting for a slot
                # included; aiohttp reads a total of 0 as "no limit", so an empty budget
                # ends here.
                left = limit.remaining()
                if left <= 0:
                    raise self._timeout()
                limit = aiohttp.ClientTimeout(total=left)
            # Taken last, after any login (its own exchange) and the slot: a trial of a
            # half-open breaker is this very request.
            ticket = self.breaker.admit()
            started, answered = time.perf_counter(), False
            try:
                async with self.session.request(
                    method,
                    target,
                    params=params,
                    json=json_body,
                    data=data,
                    headers=send_headers,
                    allow_redirects=allow_redirects,
                    timeout=limit,
                ) as response:
                    answered = True  # counted once, by its head, however long its body takes
                    self.metrics.call(method, response.status, time.perf_counter() - started)
                    # Judged by its head: a media transfer may last an hour after it.
                    if response.status in FAILURE_STATUSES:
                        self.breaker.failed(ticket)
                    else:
                        self.breaker.succeeded(ticket)
                    try:
                        yield response
                    except (UpstreamTimeout, UpstreamUnavailable):
                        # The answer's body broke off while :meth:`_read` read it: the
                        # exchange's one failure, whatever its head said.
                        self.breaker.failed(ticket)
                        raise
            except TimeoutError as exc:
                self.breaker.failed(ticket)
                if not answered:
                    self.metrics.call(method, TIMEOUT, time.perf_counter() - started)
                raise self._timeout().unknown_outcome(may_have_acted(method, exc)) from exc
            except aiohttp.ClientError as exc:
                # A streamed request body that failed on our side (say, over the upload limit)
                # surfaces as a connection error: report the body's own error instead.
                cause = _gateway_cause(exc)
                if cause is not None:
                    raise cause from exc
                self.breaker.failed(ticket)
                if not answered:
                    self.metrics.call(method, UNREACHABLE, time.perf_counter() - started)
                raise self._unavailable(exc).unknown_outcome(may_have_acted(method, exc)) from exc
            finally:
                # Cancelled, or failed on the gateway's side: no word about the upstream.
                self.breaker.abandoned(ticket)

    def _timeout(self, tries: int = 1) -> UpstreamTimeout:
        # The budget of a whole call, retries included: what the client really waited.
        more = f" ({tries} tries)" if tries > 1 else ""
        return UpstreamTimeout(
            f"backend {self.backend} did not answer within {self.timeout_s:g} s{more}",
            backend=self.backend,
        )

    def _unavailable(self, exc: aiohttp.ClientError) -> UpstreamUnavailable:
        # The exception text may hold the upstream host: keep only its class name.
        return UpstreamUnavailable(
            f"backend {self.backend} is unreachable ({type(exc).__name__})", backend=self.backend
        )
