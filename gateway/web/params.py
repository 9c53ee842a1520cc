"""Reading query parameters, with 400 problems that name the parameter."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from gateway.web.errors import BadRequest
from gateway.web.routing import QueryParam

DEFAULT_PER_PAGE: Final = 25
MAX_PER_PAGE: Final = 500
"""Largest ``per_page`` of one backend's lists."""
MAX_MERGED_PER_PAGE: Final = 100
"""Largest ``per_page`` of a list merged from every backend: each backend is asked for
that many items, so a merged page costs several backends' pages."""


def paging(
    *, default: int = DEFAULT_PER_PAGE, maximum: int = MAX_PER_PAGE
) -> tuple[QueryParam, QueryParam]:
    """The ``page`` and ``per_page`` parameters :func:`page_params` reads, described."""
    return (
        QueryParam("page", "integer", "the page to answer, from 1", minimum=1),
        QueryParam(
            "per_page",
            "integer",
            f"items per page, 1 to {maximum} ({default} when left out)",
            minimum=1,
            maximum=maximum,
        ),
    )


PAGING: Final = paging()
"""``page`` and ``per_page`` of one backend's lists."""


def int_param(
    request: web.Request, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    """The integer query parameter ``name``; 400 when it is not an integer in range."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"query parameter {name} must be an integer, got {raw[:40]!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise BadRequest(f"query parameter {name} must be at least {minimum}{upper}")
    return value


def page_params(
    request: web.Request, *, default: int = DEFAULT_PER_PAGE, maximum: int = MAX_PER_PAGE
) -> tuple[int, int]:
    """``page`` (1-based) and ``per_page`` from the query."""
    page = int_param(request, "page", 1, minimum=1)
    per_page = int_param(request, "per_page", default, minimum=1, maximum=maximum)
    return page, per_page


def bool_param(request: web.Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter: true/false, 1/0, yes/no; 400 otherwise."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise BadRequest(f"query parameter {name} must be true or false, got {raw[:40]!r}")
