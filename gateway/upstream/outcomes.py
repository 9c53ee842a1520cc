"""Whether a failed upstream request may have taken effect all the same.

A POST whose answer was lost (a timeout or a reset once it was sent, a proxy's 502 or
504) may have created something upstream: sending it again could create it twice, so
its error is not transient (:meth:`gateway.web.errors.UpstreamError.unknown_outcome`).
A failure before anything left (connection refused, DNS, TLS, a connect timeout) or an
idempotent method leaves no such doubt.
"""

from __future__ import annotations

from typing import Final

import aiohttp

IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods that may be sent again: retried on failure, their outcome never in doubt."""
UNSENT: Final = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL)
"""Failures that leave no doubt: the request never left."""

LOST_ANSWERS: Final = frozenset({502, 504})
"""Statuses of a proxy in front of the upstream that passed the request on, then lost the answer."""


def may_have_acted(method: str, exc: BaseException | None = None) -> bool:
    """Whether a failed ``method`` request may have acted upstream: repeating it is unsafe.

    ``exc`` is the failure in sending it, None when the answer had begun (it arrived).
    """
    return method.upper() not in IDEMPOTENT and not isinstance(exc, UNSENT)


def lost_answer(method: str, status: int) -> bool:
    """Whether an upstream error ``status`` leaves a ``method`` request's outcome unknown."""
    return method.upper() not in IDEMPOTENT and status in LOST_ANSWERS
