"""Every error the gateway raises, in one place.

Hierarchy::

    GatewayError                    an error a client sees as application/problem+json
    ├── BadRequest                  400 the request is malformed or invalid
    │   └── MalformedBody           400 the body does not parse as its Content-Type says
    ├── Unauthorized                401 no or bad credentials
    ├── OAuthError                  400/401 a token endpoint error in RFC 6749 terms
    ├── Forbidden                   403 credentials fine, permission missing
    ├── NotFound                    404 no such route or resource
    ├── MethodNotAllowed            405 the route exists, the method does not
    ├── NotAcceptable               406 no representation the Accept header admits
    ├── RequestTimeout              408 the client sent its request too slowly
    ├── Conflict                    409 the resource's state forbids the change
    ├── PreconditionFailed          412 If-Match and friends did not hold
    ├── PayloadTooLarge             413 body over server.max_body_bytes
    ├── UriTooLong                  414 URI over server.max_uri_bytes
    ├── UnsupportedMediaType        415 request Content-Type not accepted
    ├── TooManyRequests             429 failed logins over the limit (Retry-After)
    │   └── RateLimited             429 the caller's request rate is over its limit
    ├── InternalError               500 a bug; logged with the incident id
    ├── NotOffered                  501 the backend's kind does not offer the operation
    ├── ServiceUnavailable          503 a store the gateway itself needs is unreachable
    │   └── TooManyConnections      503 server.max_connections are open already
    ├── EveryBackendFailed          the status most backends of a unified list failed with
    └── UpstreamError               an upstream answered badly or not at all
        ├── UpstreamStatusError     the upstream answered with an error status
        ├── UpstreamUnavailable     503 connection refused, reset, DNS or TLS failure
        ├── UpstreamLoginFailed     503 the gateway's upstream credentials were refused
        ├── UpstreamTimeout         408 no answer within the time budget
        ├── BackendBusy             503 the backend's cap on concurrent calls stayed full
        └── BackendOpen             503 the backend failed repeatedly: not called for now

    ConfigError                     the configuration is invalid (not an HTTP error)

An upstream error marked :meth:`~UpstreamError.unknown_outcome` (a POST that may have
reached the upstream before its answer was lost) says ``"transient": false`` whatever
its status's row says: sending it again could act twice.

Third-party exceptions are translated where they enter the gateway, with
``raise X(...) from exc``; nothing else reaches the client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self

from gateway.web import statuses


class GatewayError(Exception):
    """An error answered to the client as a problem document."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers: dict[str, str] = dict(headers or {})
        self.extra: dict[str, Any] = dict(extra or {})

    @property
    def http_status(self) -> int:
        """The status sent to the client; always a row of the status table."""
        return self.status

    @property
    def problem_code(self) -> str:
        """The machine-readable ``code`` member of the problem document."""
        return self.code


class BadRequest(GatewayError):
    """400: the request is malformed or invalid."""

    status = 400
    code = "bad-request"


class MalformedBody(BadRequest):
    """400: the body does not parse as its Content-Type says."""

    code = "malformed-body"


class Unauthorized(GatewayError):
    """401: authentication was not provided or is not valid."""

    status = 401
    code = "unauthorized"


class OAuthError(GatewayError):
    """400 or 401: the token request failed; ``error`` is the RFC 6749 error code."""

    status = 400
    code = "oauth-error"

    def __init__(
        self,
        error: str,
        detail: str,
        *,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail, headers=headers)
        self._status = status
        # RFC 6749 section 5.2 members beside the problem's own: OAuth clients read these.
        self.extra.update(error=error, error_description=detail)

    @property
    def http_status(self) -> int:
        """400, or 401 for ``invalid_client``."""
        return self._status


class Forbidden(GatewayError):
    """403: authenticated but not authorized."""

    status = 403
    code = "forbidden"


class NotFound(GatewayError):
    """404: no such route or resource."""

    status = 404
    code = "not-found"


class MethodNotAllowed(GatewayError):
    """405: the resource exists but does not support the method."""

    status = 405
    code = "method-not-allowed"

    def __init__(self, method: str, allowed: Iterable[str]) -> None:
        allow = ", ".join(sorted(set(allowed)))
        super().__init__(
            f"{method} is not allowed here; allowed: {allow or 'none'}",
            headers={"Allow": allow},
        )


class NotAcceptable(GatewayError):
    """406: no representation matches the Accept header."""

    status = 406
    code = "not-acceptable"


class RequestTimeout(GatewayError):
    """408: the client did not send its request's head or body in time."""

    status = 408
    code = "request-timeout"


class Conflict(GatewayError):
    """409: the resource's state does not allow the change."""

    status = 409
    code = "conflict"


class PreconditionFailed(GatewayError):
    """412: a conditional request header did not hold."""

    status = 412
    code = "precondition-failed"


class PayloadTooLarge(GatewayError):
    """413: the body exceeds ``server.max_body_bytes``."""

    status = 413
    code = "payload-too-large"


class UriTooLong(GatewayError):
    """414: the URI exceeds ``server.max_uri_bytes``."""

    status = 414
    code = "uri-too-long"


class UnsupportedMediaType(GatewayError):
    """415: the request's Content-Type is not one the resource accepts."""

    status = 415
    code = "unsupported-media-type"


class TooManyRequests(GatewayError):
    """429: too many failed logins; ``Retry-After`` says when to try again."""

    status = 429
    code = "too-many-requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})
        self.extra["retry_after_s"] = retry_after_s


class RateLimited(TooManyRequests):
    """429: the caller sent more requests than its rate limit allows; see Retry-After."""

    code = "rate-limited"


class InternalError(GatewayError):
    """500: an unexpected failure inside the gateway."""

    status = 500
    code = "internal-error"


class NotOffered(GatewayError):
    """501: the backend's kind does not offer the operation."""

    status = 501
    code = "not-offered"


class ServiceUnavailable(GatewayError):
    """503: the gateway's own session store cannot be reached."""

    status = 503
    code = "service-unavailable"


class TooManyConnections(ServiceUnavailable):
    """503: the gateway serves as many connections as it may; try again shortly."""

    code = "too-many-connections"


class EveryBackendFailed(GatewayError):
    """Every backend of a unified list failed; the status is the one most of them gave."""

    status = 503
    code = "every-backend-failed"

    def __init__(self, detail: str, *, status: int, backends: list[dict[str, Any]]) -> None:
        super().__init__(detail, extra={"backends": backends})
        self._status = status

    @property
    def http_status(self) -> int:
        """The most telling of the backends' statuses (a row of the table)."""
        return self._status


class UpstreamError(GatewayError):
    """An upstream failed; carries the backend name and what the upstream said."""

    code = "upstream-error"
    outcome_unknown: bool = False
    """Whether the request may have taken effect upstream although it failed."""

    def __init__(
        self,
        detail: str,
        *,
        backend: str,
        upstream_status: int | None = None,
        errors: Sequence[str] = (),
        upstream_code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail, headers=headers)
        self.backend = backend
        self.upstream_status = upstream_status
        self.errors = list(errors)
        self.upstream_code = upstream_code
        self.extra.update(backend=backend, upstream_status=upstream_status, errors=self.errors)
        if upstream_code is not None:
            self.extra["upstream_code"] = upstream_code

    def unknown_outcome(self, unknown: bool = True) -> Self:
        """This error, marked (when ``unknown``) as one whose request may have taken effect.

        Its problem then says ``"transient": false`` (an extra member overrides the
        table's) and its detail tells the client to look before sending it again.
        """
        if unknown and not self.outcome_unknown:
            self.outcome_unknown = True
            self.detail += (
                "; the request may have reached it, so its outcome is unknown: "
                "check the resource before sending it again"
            )
            self.args = (self.detail,)
            self.extra["transient"] = False
        return self


class UpstreamStatusError(UpstreamError):
    """The upstream answered with an error status, mapped through the upstream table."""

    code = "upstream-status"

    @property
    def http_status(self) -> int:
        """The table status the upstream status maps to."""
        assert self.upstream_status is not None
        return statuses.map_upstream_status(self.upstream_status)


class UpstreamUnavailable(UpstreamError):
    """503: the upstream could not be reached (refused, reset, DNS, TLS)."""

    status = statuses.UPSTREAM_CONNECT_FAILED
    code = "upstream-unavailable"


class UpstreamLoginFailed(UpstreamError):
    """503: the gateway could not log in upstream with its configured credentials."""

    status = 503
    code = "upstream-login-failed"


class UpstreamTimeout(UpstreamError):
    """408: the upstream did not answer within the backend's time budget."""

    status = statuses.UPSTREAM_TIMED_OUT
    code = "upstream-timeout"


class BackendBusy(UpstreamError):
    """503: nothing was sent: the backend's call cap stayed full, or another process's login.

    The other process holds the lock of the backend's upstream login past the call's budget.
    Either way the caller may retry shortly.
    """

    status = 503
    code = "backend-busy"

    def __init__(self, detail: str, *, backend: str, retry_after_s: int = 1) -> None:
        super().__init__(detail, backend=backend, headers={"Retry-After": str(retry_after_s)})


class BackendOpen(UpstreamError):
    """503: the backend failed repeatedly and is not called until Retry-After (circuit open)."""

    status = 503
    code = "backend-unavailable"

    def __init__(self, detail: str, *, backend: str, retry_after_s: int) -> None:
        super().__init__(detail, backend=backend, headers={"Retry-After": str(retry_after_s)})
        self.extra["retry_after_s"] = retry_after_s


_BY_STATUS: dict[int, type[GatewayError]] = {}


def for_status(status: int) -> type[GatewayError]:
    """The error class answering with ``status``; 400 or 500 for statuses not in the table."""
    if not _BY_STATUS:
        stack: list[type[GatewayError]] = [GatewayError]
        while stack:
            cls = stack.pop()
            stack.extend(cls.__subclasses__())
            # Classes whose status is set per instance take other arguments: not these.
            per_instance = "http_status" in vars(cls)
            generic = not issubclass(cls, UpstreamError) and cls.__mro__[1] is not BadRequest
            if generic and not per_instance:
                _BY_STATUS.setdefault(cls.status, cls)
        _BY_STATUS[500] = InternalError
    found = _BY_STATUS.get(status)
    if found is None:
        return BadRequest if 400 <= status < 500 else InternalError
    return found


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)
