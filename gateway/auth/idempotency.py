"""``Idempotency-Key`` on POST: the same key never acts twice.

A client that sends a POST with ``Idempotency-Key`` (draft-ietf-httpapi-idempotency-key-header:
a string, quoted or plain, of 1 to 255 printable ASCII characters; anything else is 400)
may send it again, as often as it likes, without creating twice. The outcome is kept per
(identity, method, path, key) for :data:`TTL_S` in the state store (Redis when
configured, so every gateway process sees it), timed by the store's clock:

- The first request claims the key atomically (:meth:`StateStore.put_new`) with a
  *pending* marker, runs, and leaves what came of it.
- An answer under 500 is kept (status, the headers of :data:`KEPT_HEADERS`, body) and
  replayed to the same key and request with ``Idempotent-Replayed: true``. An answer
  streamed or over :data:`MAX_REPLAY_BYTES` cannot be kept: a retry gets 409 saying what
  the first one answered.
- An error that leaves no doubt (a refusal under 500; the upstream unreachable or
  refusing the gateway's login before anything was sent; the state store down) releases
  the key: nothing happened, and the same key may be sent again.
- Anything else (a 5xx, an upstream answer that was lost: ``outcome_unknown``, a crash)
  leaves the outcome *unknown*: a retry gets 409 "check the resource" rather than a
  second POST.
- The same key while the first is pending is 409 with ``Retry-After``; the same key with
  a different request (body or Content-Type) is 409 too (the status table has no 422).

Requests are told apart by a hash of their Content-Type and body; on streaming routes
(uploads) the body is not read ahead, and its Content-Type and Content-Length stand for
it. POSTs without an identity (the public login routes) ignore the header.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from gateway.auth import identity
from gateway.state.base import StateStore
from gateway.web.errors import (
    BackendBusy,
    BackendOpen,
    BadRequest,
    Conflict,
    GatewayError,
    NotOffered,
    ServiceUnavailable,
    UpstreamError,
    UpstreamLoginFailed,
    UpstreamUnavailable,
)
from gateway.web.routing import Handler, route_meta

HEADER: Final = "Idempotency-Key"
REPLAYED: Final = "Idempotent-Replayed"
TTL_S: Final = 24 * 3600.0
"""How long an outcome (or a pending marker) is remembered."""
MAX_KEY_CHARS: Final = 255
MAX_REPLAY_BYTES: Final = 1024 * 1024
"""Bodies up to this size are kept for replay."""
PENDING_RETRY_AFTER_S: Final = 2
PENDING_STALE_S: Final = 2 * 3600.0
"""A request pending longer than this (longer than any transfer) died with its process."""
KEPT_HEADERS: Final = (
    "Location",
    "Content-Location",
    "Content-Type",
    "ETag",
    "Last-Modified",
    "Link",
)
"""The headers of a kept answer that its replays carry."""
_KNOWN_FAILURES: Final = (
    ServiceUnavailable,
    UpstreamUnavailable,
    UpstreamLoginFailed,
    BackendBusy,
    BackendOpen,
    NotOffered,
)
"""5xx errors that say nothing was done (unless marked ``outcome_unknown``)."""


def parse_key(raw: str) -> str:
    """The key of an ``Idempotency-Key`` value; 400 for a malformed one."""
    value = raw.strip(" \t")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        key, allowed = value[1:-1], range(0x20, 0x7F)
    else:
        key, allowed = value, range(0x21, 0x7F)
    if not key or len(key) > MAX_KEY_CHARS or any(ord(c) not in allowed or c in '"\\' for c in key):
        raise BadRequest(
            f"{HEADER} must be a string of 1 to {MAX_KEY_CHARS} printable ASCII characters, "
            'plain or in double quotes (no quote or backslash inside), as in "9f2c-41d7"'
        )
    return key


def middleware(store: StateStore) -> Middleware:
    """The middleware keeping POST outcomes in ``store``; it runs after ``access``."""

    @web.middleware
    async def idempotency(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Replay, refuse or run a POST that carries ``Idempotency-Key``."""
        if request.method != "POST":  # most requests: nothing to look up
            return await handler(request)
        raw = request.headers.getall(HEADER, [])
        who = identity.current()
        if not raw or who is None or route_meta(request) is None:
            return await handler(request)
        if len(raw) > 1:
            raise BadRequest(f"send one {HEADER} header, not {len(raw)}")
        key = parse_key(raw[0])
        slot = _slot(who.key, request.method, request.path, key)
        fingerprint = await _fingerprint(request)
        pending = {"state": "pending", "fingerprint": fingerprint, "since": store.clock()}
        while not await store.put_new(slot, pending, TTL_S):
            found = await store.get(slot)
            if found is not None:  # else it expired just now: claim it again
                return _answer_again(found, fingerprint, store.clock())
        try:
            response = await handler(request)
        except BaseException as exc:
            if _nothing_done(exc):
                await store.delete(slot)
            else:
                await store.put(slot, {"state": "unknown", "fingerprint": fingerprint}, TTL_S)
            raise
        await store.put(slot, _outcome(response, fingerprint), TTL_S)
        return response

    return idempotency


def _slot(who: str, method: str, path: str, key: str) -> str:
    # Hashed: the key's length is bounded, and no name or path shows in the store.
    parts = "\n".join((who, method, path, key)).encode("utf-8", "surrogateescape")
    return "idem:" + hashlib.sha256(parts).hexdigest()


async def _fingerprint(request: web.Request) -> str:
    digest = hashlib.sha256(request.content_type.encode() + b"\n")
    meta = route_meta(request)
    if meta is not None and meta.stream:
        digest.update(f"stream:{request.content_length}".encode())
    else:
        digest.update(await request.read())  # kept by aiohttp: the handler reads it again
    return digest.hexdigest()


def _nothing_done(exc: BaseException) -> bool:
    """Whether a failure leaves no doubt that the request did nothing."""
    if isinstance(exc, UpstreamError) and exc.outcome_unknown:
        return False
    if isinstance(exc, GatewayError):
        return exc.http_status < 500 or isinstance(exc, _KNOWN_FAILURES)
    return isinstance(exc, web.HTTPException) and exc.status < 500


def _outcome(response: web.StreamResponse, fingerprint: str) -> dict[str, Any]:
    """What to keep of the first answer."""
    status = response.status
    if status >= 500:
        return {"state": "unknown", "fingerprint": fingerprint}
    body = response.body if isinstance(response, web.Response) else None
    if response.prepared or not isinstance(body, bytes | bytearray):
        return {"state": "unkept", "fingerprint": fingerprint, "status": status}
    if len(body) > MAX_REPLAY_BYTES:
        return {"state": "unkept", "fingerprint": fingerprint, "status": status}
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    return {
        "state": "done",
        "fingerprint": fingerprint,
        "status": status,
        "headers": headers,
        "body": base64.b64encode(body).decode("ascii"),
    }


def _answer_again(found: dict[str, Any], fingerprint: str, now: float) -> web.Response:
    """The answer to a key seen before: the kept one, or why there is none."""
    final = {"transient": False}  # the same request again gets the same answer
    if found.get("fingerprint") != fingerprint:
        raise Conflict(
            f"this {HEADER} was sent with a different request (body or Content-Type); "
            "use a new key for a new request",
            extra=final,
        )
    state = found.get("state")
    if state == "pending" and now - float(found.get("since", 0)) > PENDING_STALE_S:
        state = "unknown"
    if state == "done":
        response = web.Response(
            status=int(found["status"]),
            body=base64.b64decode(found["body"]),
            headers=dict(found.get("headers") or {}),
        )
        response.headers[REPLAYED] = "true"
        return response
    if state == "pending":
        raise Conflict(
            f"a request with this {HEADER} is still being processed; "
            f"retry after {PENDING_RETRY_AFTER_S} s",
            headers={"Retry-After": str(PENDING_RETRY_AFTER_S)},
        )
    if state == "unkept":
        raise Conflict(
            f"a request with this {HEADER} was answered {found.get('status')}, with an answer "
            "too large or streamed to be kept; look at the resource it acted on",
            extra=final,
        )
    raise Conflict(
        f"a request with this {HEADER} failed and its outcome is unknown: it may have taken "
        "effect; check the resource, and send a new key only if it did not",
        extra=final,
    )
