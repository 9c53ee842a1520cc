"""Asking several backends at once, within a time budget, and merging what they list.

:func:`fan_out` calls every backend concurrently; a backend that fails or does not
answer within the budget yields its gateway error instead of a result, so one slow or
broken upstream costs the others nothing; one whose circuit breaker is open is not asked
at all. :func:`merge` is a k-way merge of the
backends' sequences by a key: it takes, one at a time, the smallest of the backends'
next items, so each backend's own order is kept and a page continues exactly where the
last one stopped. :func:`telling_error` picks the error a list answers with when every
backend failed.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import TypeVar

from gateway.backends.runtime import Backend
from gateway.web.errors import EveryBackendFailed, GatewayError, InternalError, UpstreamTimeout

log = logging.getLogger(__name__)

T = TypeVar("T")
ItemT = TypeVar("ItemT")


async def fan_out(
    backends: Sequence[Backend], call: Callable[[Backend], Awaitable[T]], budget_s: float
) -> list[T | GatewayError]:
    """``call`` for every backend at once; each result, or the error it ended with."""

    async def one(backend: Backend) -> T | GatewayError:
        if backend.breaker.state == "open":
            # Its part is known to fail: the page need not wait a moment for it.
            return backend.breaker.refusal()
        try:
            return await asyncio.wait_for(call(backend), budget_s)
        except TimeoutError:
            return UpstreamTimeout(
                f"backend {backend.name} did not answer within the list's budget of {budget_s:g} s",
                backend=backend.name,
            )
        except GatewayError as exc:
            return exc
        except Exception:  # one backend's bug must not fail the others' answer
            log.exception("backend %s: unexpected error in a unified list", backend.name)
            return InternalError(f"backend {backend.name} failed unexpectedly")

    return list(await asyncio.gather(*(one(b) for b in backends)))


def merge(
    sequences: Mapping[str, Sequence[ItemT]],
    key: Callable[[str, ItemT], Hashable],
    limit: int,
    more: Mapping[str, bool] | None = None,
) -> tuple[list[tuple[str, ItemT]], dict[str, int]]:
    """Up to ``limit`` items, smallest ``key`` first, each sequence's order kept.

    ``sequences`` are the next items of each source; ``more`` says which have further
    items beyond them. Once such a source's items are used up the merge stops: its
    unseen next item might come before anything else. Returns the items with the name
    of the source each came from, and how many were taken from each.
    """
    following = more or {}
    heap = [(key(name, items[0]), name, 0) for name, items in sequences.items() if items]
    heapq.heapify(heap)
    taken: dict[str, int] = dict.fromkeys(sequences, 0)
    out: list[tuple[str, ItemT]] = []
    while heap and len(out) < limit:
        _, name, index = heapq.heappop(heap)
        items = sequences[name]
        out.append((name, items[index]))
        taken[name] = index + 1
        if index + 1 < len(items):
            heapq.heappush(heap, (key(name, items[index + 1]), name, index + 1))
        elif following.get(name):
            break
    return out, taken


def telling_error(errors: Sequence[GatewayError], what: str) -> GatewayError:
    """The error of a list whose every backend failed.

    When they all failed alike, their status. Otherwise the status most of them share
    among those that say the backends could not answer (timeouts and 5xx, ties to the
    higher), else 503: a mix of, say, 404 and 403 is no answer about the list itself.
    The backends' own problems travel along in ``backends``.
    """
    counts = Counter(e.http_status for e in errors)
    unavailable = {s: n for s, n in counts.items() if s == 408 or s >= 500}
    if len(counts) == 1:
        status = next(iter(counts))
    elif unavailable:
        status = max(unavailable, key=lambda s: (unavailable[s], s))
    else:
        status = 503
    return EveryBackendFailed(
        f"every backend failed to list {what}: " + "; ".join(sorted({e.detail for e in errors})),
        status=status,
        backends=[
            {"status": e.http_status, "code": e.problem_code, "detail": e.detail, **e.extra}
            for e in errors
        ],
    )
