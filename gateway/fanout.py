"""Asking several backends at once, within a time budget, and merging what they list.

:func:`fan_out` calls every backend concurrently; a backend that fails or does not
answer within the budget yields its gateway error instead of a result, so one slow or
broken upstream costs the others nothing. :func:`merge` is a k-way merge of the
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

from gateway.backends import Backend
from gateway.errors import EveryBackendFailed, GatewayError, InternalError, UpstreamTimeout

log = logging.getLogger(__name__)

T = TypeVar("T")
ItemT = TypeVar("ItemT")


async def fan_out(
    backends: Sequence[Backend], call: Callable[[Backend], Awaitable[T]], budget_s: float
) -> list[T | GatewayError]:
    """``call`` for every backend at once; each result, or the error it ended with."""

    async def one(backend: Backend) -> T | GatewayError:
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
) -> tuple[list[tuple[str, ItemT]], dict[str, int]]:
    """Up to ``limit`` items, smallest ``key`` first, each sequence's order kept.

    Returns the items with the name of the sequence each came from, and how many were
    taken from each sequence.
    """
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
    return out, taken


def telling_error(errors: Sequence[GatewayError], what: str) -> GatewayError:
    """The error of a list whose every backend failed: the status most of them share.

    Ties go to the higher status (a 503 says more about the gateway's state than a 400).
    The backends' own problems travel along in ``backends``.
    """
    counts = Counter(e.http_status for e in errors)
    status = max(counts, key=lambda s: (counts[s], s))
    return EveryBackendFailed(
        f"every backend failed to list {what}: " + "; ".join(sorted({e.detail for e in errors})),
        status=status,
        backends=[
            {"status": e.http_status, "code": e.problem_code, "detail": e.detail, **e.extra}
            for e in errors
        ],
    )
