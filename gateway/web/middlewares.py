"""The gateway's own middlewares: request id, problem errors, limits, negotiation.

The app stacks them with the session and access middlewares (:func:`gateway.app.create_app`).

- ``request_ids`` takes a well-formed incoming ``X-Request-Id`` or makes one; the
  response carries it (``X-Request-Id``) and every problem body names it ``incident``.
  While the request is handled, :func:`current_request` gives it to code far from it
  (the JSON log lines name its id, route and caller: :mod:`gateway.web.logformat`).
- ``problems`` turns every exception into an ``application/problem+json`` answer
  with a status from the table: gateway errors as they say, aiohttp's HTTP
  exceptions by status, anything else as 500 (logged with the incident id; the body
  holds no stack trace).
- ``limits`` refuses URIs over ``server.max_uri_bytes`` (414), compressed bodies (any
  ``Content-Encoding`` but ``identity``: no route takes one) (415), declared bodies over
  ``server.max_body_bytes`` (``server.max_upload_bytes`` on streaming routes) (413), and
  body types the route does not take (415) before the handler runs.
- ``negotiation`` answers 406 when the client accepts nothing the route produces, and
  offers HAL-FORMS templates to the handler of a client that chose them
  (:mod:`gateway.web.halforms`).
"""

from __future__ import annotations

import logging
import os
import random
import re
import uuid
from contextvars import ContextVar
from typing import Final

from aiohttp import hdrs, web

from gateway.web import errors, halforms, problem
from gateway.web.negotiation import choose
from gateway.web.routing import Handler, route_meta
from gateway.web.settings import HTTP
from gateway.web.urls import public_base

log = logging.getLogger(__name__)

_REQUEST_ID: Final = web.RequestKey("request_id", str)
_WELL_FORMED_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
# Request ids must be unique, not secret: a seeded generator spares every request the
# system call of uuid4 (reseeded in a forked child, which would repeat the parent's ids).
_ID_BITS: Final = random.Random()  # noqa: S311
os.register_at_fork(after_in_child=_ID_BITS.seed)
_CURRENT: Final[ContextVar[web.Request | None]] = ContextVar("gateway_request", default=None)


def request_id(request: web.BaseRequest) -> str:
    """The request's id (the problem ``incident``); made on first use."""
    try:
        return request[_REQUEST_ID]
    except KeyError:
        incoming = request.headers.get("X-Request-Id", "")
        if _WELL_FORMED_ID.fullmatch(incoming):
            rid = incoming
        else:
            rid = str(uuid.UUID(int=_ID_BITS.getrandbits(128), version=4))
        request[_REQUEST_ID] = rid
        return rid


async def add_request_id_header(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every answer, streamed or not, carries ``X-Request-Id``."""
    response.headers["X-Request-Id"] = request_id(request)


def _from_http_exception(request: web.Request, exc: web.HTTPException) -> errors.GatewayError:
    """The gateway error for one of aiohttp's own HTTP exceptions."""
    if isinstance(exc, web.HTTPNotFound):
        return errors.NotFound(f"nothing is served at {request.path}")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return errors.MethodNotAllowed(request.method, exc.allowed_methods)
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        limit = request.app[HTTP].max_body_bytes
        return errors.PayloadTooLarge(f"the request body exceeds the limit of {limit} bytes")
    return errors.for_status(exc.status)(exc.reason)


def current_request() -> web.Request | None:
    """The request being handled (tasks it starts included); None outside requests."""
    return _CURRENT.get()


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Fix the request id before anything else can fail; bind the request while it runs."""
    request_id(request)
    token = _CURRENT.set(request)
    try:
        return await handler(request)
    finally:
        _CURRENT.reset(token)  # connections are reused: the next request starts unbound


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every failure with a problem document from the status table."""
    try:
        response = await handler(request)
    except errors.GatewayError as exc:
        error = exc
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects and other non-errors go out as they are
        error = _from_http_exception(request, exc)
    except Exception:
        incident = request_id(request)
        log.exception(
            "incident %s: unexpected error in %s %s",
            incident,
            request.method,
            request.path,
            extra={"status": 500},
        )
        error = errors.InternalError(
            f"an unexpected error occurred; quote incident {incident} when reporting it"
        )
    else:
        return response
    if error.http_status < 500:
        # One line says what the client got wrong; a traceback would only say where.
        log.info(
            "incident %s: %s %s -> %s %s: %s",
            request_id(request),
            request.method,
            request.path,
            error.http_status,
            error.problem_code,
            error.detail,
            extra={"status": error.http_status},
        )
    else:
        log.warning(
            "incident %s: %s %s -> %s: %s",
            request_id(request),
            request.method,
            request.path,
            error.http_status,
            error.detail,
            extra={"status": error.http_status},
        )
    response = problem.response(error, request_id(request), public_base(request))
    if isinstance(error, errors.RequestTimeout):
        response.force_close()  # the rest of the body will not come: say the connection ends
    return response


def _content_type_taken(content_type: str, consumes: tuple[str, ...]) -> bool:
    for accepted in consumes:
        if accepted == content_type:
            return True
        if accepted.endswith("/*") and content_type.startswith(accepted[:-1]):
            return True
    return False


def _has_body(request: web.Request) -> bool:
    return bool(request.content_length) or request.headers.get(
        "Transfer-Encoding", ""
    ).lower().endswith("chunked")


@web.middleware
async def limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse over-long URIs, over-large bodies and unwanted body types up front."""
    server = request.app[HTTP]
    uri_bytes = len(request.raw_path.encode("utf-8", "surrogateescape"))
    if uri_bytes > server.max_uri_bytes:
        raise errors.UriTooLong(
            f"the request URI is {uri_bytes} bytes; the limit is {server.max_uri_bytes}"
        )
    coding = request.headers.get(hdrs.CONTENT_ENCODING, "").strip().lower()
    if coding not in ("", "identity"):
        # Checked on every route and method: aiohttp is told not to inflate bodies
        # (gateway.app.handler_args), so an encoded body would reach handlers as bytes
        # they cannot read. Refused unread, never inflated.
        raise errors.UnsupportedMediaType(
            f"request bodies with Content-Encoding {coding[:64]!r} are not accepted; "
            "send the body uncompressed"
        )
    meta = route_meta(request)
    if request.method in BODY_METHODS and _has_body(request) and meta is not None:
        limit = server.max_upload_bytes if meta.stream else server.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise errors.PayloadTooLarge(
                f"the request body is {request.content_length} bytes; the limit is {limit}"
            )
        content_type = request.content_type.lower()
        if meta.consumes is not None and not _content_type_taken(content_type, meta.consumes):
            raise errors.UnsupportedMediaType(
                f"a body of type {content_type or '(none)'} is not accepted here; "
                f"send one of: {', '.join(meta.consumes)}"
            )
    return await handler(request)


@web.middleware
async def negotiation(request: web.Request, handler: Handler) -> web.StreamResponse:
    """406 when the client accepts none of the route's media types; HAL-FORMS templates in
    the answer when the client prefers them."""
    meta = route_meta(request)
    if not meta or not meta.produces:
        return await handler(request)
    chosen = choose(request.headers.get("Accept"), meta.produces)
    if chosen is None:
        raise errors.NotAcceptable(
            f"this resource is available as {', '.join(meta.produces)}; "
            f"the Accept header admits none of them"
        )
    if chosen == halforms.MEDIA_TYPE:
        with halforms.offering(request.app.get(halforms.PERMITS, halforms.nobody)):
            return await handler(request)
    return await handler(request)
