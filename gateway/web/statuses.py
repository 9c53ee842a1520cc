"""The documented status-code table and the upstream-status mapping, as data.

``DOCUMENTED`` is the gateway's status-code table (status, condition, methods,
transient), the one every client is promised (docs/http.md); ``STATUS_TABLE`` is it
plus ``ADDED_ROWS``, the rows added to it (303 after a browser's form post, 429 for
throttled logins and callers). Every response the gateway sends uses a status from it.
``UPSTREAM_STATUS_MAP`` says which of those statuses a client sees when an upstream
answers with an error status; statuses missing from both fall to the nearest row (see
:func:`map_upstream_status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class StatusRow:
    """One row of the documented status-code table."""

    status: int
    condition: str
    methods: str
    transient: bool | None  # None where the table says "n/a" (success statuses)


def _rows(*rows: tuple[int, str, str, bool | None]) -> MappingProxyType[int, StatusRow]:
    return MappingProxyType({r[0]: StatusRow(*r) for r in rows})


DOCUMENTED: Final = _rows(
    (200, "OK", "GET", None),
    (201, "Created", "POST", None),
    (202, "Accepted", "POST", None),
    (204, "No content", "POST, PUT, DELETE", None),
    (304, "Not Modified", "Conditional GET", None),
    (307, "Temporary Redirect", "GET", None),
    (400, "Bad request", "All", False),
    (401, "Unauthorized; authentication not provided", "All", False),
    (403, "Forbidden; authenticated but not authorized", "All", False),
    (404, "Not found", "All", False),
    (405, "(Method) Not allowed", "All", False),
    (
        406,
        "Not acceptable - Accept header doesn't match a response type supported by the server",
        "GET",
        False,
    ),
    (408, "Timeout", "All", True),
    (
        409,
        "Resource conflict - state of resource doesn't allow modification",
        "PUT, POST, DELETE",
        True,
    ),
    (412, "Precondition failed", "PUT", False),
    (413, "Request entity too large -- size of request exceeded server limit", "POST, PUT", False),
    (414, "Request URI too long", "POST, PUT", False),
    (415, "Unsupported type -- representation not supported", "POST, PUT", False),
    (500, "Server error (internal)", "All", False),
    (501, "Not implemented", "All", True),
    (503, "Service Unavailable", "All", False),
)
"""Status → row of the documented table."""

ADDED_ROWS: Final = _rows(
    (
        303,
        "See Other -- after a browser's form post, the page to go to next (a GET)",
        "POST",
        None,
    ),
    (
        429,
        "Too many requests -- failed logins or the caller's request rate over the limit; "
        "retry after Retry-After seconds",
        "All",
        True,
    ),
)
"""The gateway's additions to the documented table: where a browser's form post goes next
(logging out of single sign-on, at the identity provider), and login throttling and rate
limits."""

STATUS_TABLE: Final = MappingProxyType({**DOCUMENTED, **ADDED_ROWS})
"""Status → row. The only statuses the gateway answers with."""

ERROR_STATUSES: Final = frozenset(s for s in STATUS_TABLE if s >= 400)

UPSTREAM_STATUS_MAP: Final = MappingProxyType(
    {
        # Client errors the gateway passes on as they are.
        400: 400,
        # Still 401 after logging in again: the upstream will not let this identity do it.
        # The gateway's own 401 means "log in to the gateway", which would not help.
        401: 403,
        403: 403,
        404: 404,
        405: 405,
        406: 406,
        408: 408,
        409: 409,
        412: 412,
        413: 413,
        414: 414,
        415: 415,
        # Client errors the table has no row for.
        402: 403,  # payment required: the caller may not do this
        407: 503,  # a proxy in front of the upstream wants credentials: upstream unusable
        410: 404,  # gone: the client cannot tell it from "not found"
        411: 400,
        416: 400,
        417: 400,
        421: 503,  # misdirected: our route to the upstream is wrong, not the client's request
        422: 400,  # validation failed: the upstream's messages are carried in "errors"
        423: 409,  # locked: a state conflict
        424: 409,
        425: 409,
        428: 412,  # precondition required
        429: 503,  # rate limited upstream
        431: 400,
        451: 403,
        # Server errors.
        500: 500,
        501: 501,
        502: 503,  # the upstream's own gateway could not reach its backend
        503: 503,
        504: 408,  # the upstream's own gateway timed out: a timeout, transient
        505: 500,
        507: 503,  # insufficient storage: the upstream cannot take work now
        508: 500,
        511: 503,
    }
)
"""Upstream error status → gateway status, for statuses listed explicitly."""

UPSTREAM_CONNECT_FAILED: Final = 503
"""Connection refused or reset, DNS failure, TLS failure: the upstream is unavailable."""

UPSTREAM_TIMED_OUT: Final = 408
"""The upstream did not answer within the backend's time budget."""


def row(status: int) -> StatusRow:
    """The table row of ``status``; raises ``KeyError`` for a status not in the table."""
    return STATUS_TABLE[status]


def map_upstream_status(upstream_status: int) -> int:
    """The gateway status for an upstream error status (400-599).

    Listed statuses map as ``UPSTREAM_STATUS_MAP`` says. Any other 4xx maps to 400
    (the nearest generic client-error row) and any other 5xx to 500.
    """
    mapped = UPSTREAM_STATUS_MAP.get(upstream_status)
    if mapped is not None:
        return mapped
    if 400 <= upstream_status < 500:
        return 400
    return 500
