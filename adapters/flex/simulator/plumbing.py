"""Request plumbing of the Flex simulator: matrix parameters, routing, Basic auth, errors.

Flex puts paging and filters on the path as matrix parameters
(``/api/assets;offset=0;limit=100;name=news``). aiohttp routes on the decoded path, so
the simulator serves everything under ``/api`` from one handler and routes itself:
the raw path is split into segments, each segment into its name and its ``;key=value``
parameters (percent-decoded one by one, so an encoded ``;`` inside a value stays a
character of that value), and the segment names are matched against a route table.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote

from aiohttp import web
from multidict import MultiDict

MEDIA_TYPE: Final = "application/vnd.nativ.mio.v1+json"
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 100
REALM: Final = "Flex"

Json = dict[str, Any]


class FlexError(Exception):
    """Ends a request with ``status`` and Flex's ``{"errors": {"error": message}}`` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message

    def response(self) -> web.Response:
        """The HTTP answer this error stands for."""
        headers = {"WWW-Authenticate": f'Basic realm="{REALM}"'} if self.status == 401 else None
        return json_response({"errors": {"error": self.message}}, self.status, headers)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A Flex JSON answer (``application/vnd.nativ.mio.v1+json``)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type=MEDIA_TYPE,
        charset="utf-8",
        headers=headers,
    )


def parse_path(raw_path: str) -> tuple[list[str], MultiDict[str]] | None:
    """Segment names after ``/api`` and the matrix parameters of all segments.

    None when the path is not under ``/api``.
    """
    parts = raw_path.split("?", 1)[0].split("/")
    if len(parts) < 2 or parts[1].split(";", 1)[0] != "api":
        return None
    segments: list[str] = []
    matrix: MultiDict[str] = MultiDict()
    for index, part in enumerate(parts[1:]):
        name, *params = part.split(";")
        if index > 0 and name:
            segments.append(unquote(name))
        for param in params:
            key, _, value = param.partition("=")
            if key:
                matrix.add(unquote(key), unquote(value))
    return segments, matrix


@dataclass
class Call:
    """One request as the handlers see it."""

    request: web.Request
    base: str
    """Scheme, host and port the client used: upstream hrefs are built on it."""
    user: str
    params: dict[str, str]
    matrix: MultiDict[str]

    def href(self, path: str) -> str:
        """The absolute URL of an API path such as ``/assets/12``."""
        return f"{self.base}/api{path}"

    def int_param(self, name: str, what: str) -> int:
        """An integer path parameter; 404 naming ``what`` when it is not one."""
        raw = self.params[name]
        if not raw.isdigit():
            raise FlexError(404, f"{what} with id {raw} not found")
        return int(raw)

    async def body(self) -> Any:
        """The request body as JSON; 400 when it is missing or broken."""
        raw = await self.request.read()
        if not raw.strip():
            raise FlexError(400, "A request body is required")
        try:
            return json.loads(raw)
        except ValueError:
            raise FlexError(400, "The request body is not valid JSON") from None

    async def object_body(self) -> Json:
        """The request body, which must be a JSON object."""
        body = await self.body()
        if not isinstance(body, dict):
            raise FlexError(400, "The request body must be a JSON object")
        return body


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


@dataclass
class Router:
    """Routes of segment patterns (``assets/{id}/keyframes``) to handlers."""

    routes: list[tuple[str, tuple[str, ...], Handler]] = field(default_factory=list)

    def add(self, method: str, path: str, handler: Handler) -> None:
        """Route ``method path`` (relative to ``/api``) to ``handler``."""
        pattern = tuple(s for s in path.strip("/").split("/") if s)
        self.routes.append((method, pattern, handler))

    def resolve(self, method: str, segments: list[str]) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters; 404 or 405 with Flex's error body."""
        allowed = False
        for route_method, pattern, handler in self.routes:
            params = _match(pattern, segments)
            if params is None:
                continue
            if route_method == method:
                return handler, params
            allowed = True
        if allowed:
            raise FlexError(405, f"Method {method} is not supported by this resource")
        raise FlexError(404, "No resource found at /api/" + "/".join(segments))


def _match(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for expected, actual in zip(pattern, segments, strict=True):
        if expected.startswith("{"):
            params[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return params


def authenticate(request: web.Request, users: dict[str, str]) -> str:
    """The user of a valid ``Authorization: Basic`` header; 401 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if not header:
        raise FlexError(401, "Authentication required")
    if scheme.lower() != "basic":
        raise FlexError(401, "Unsupported authentication scheme; use Basic")
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise FlexError(401, "Malformed Basic credentials") from None
    if not sep or users.get(user) != password:
        raise FlexError(401, "Invalid username or password")
    return user


def window(matrix: MultiDict[str]) -> tuple[int, int]:
    """``;offset`` and ``;limit``: limit defaults to 100 and larger values are cut to 100."""
    offset = _natural(matrix.get("offset"), "offset", 0)
    limit = _natural(matrix.get("limit"), "limit", DEFAULT_LIMIT)
    if limit == 0:
        raise FlexError(400, "limit must be at least 1")
    return offset, min(limit, MAX_LIMIT)


def _natural(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise FlexError(400, f"Invalid value '{raw}' for {name}: a non-negative integer expected")
    return int(raw)


def list_body(plural: str, items: list[Json], matrix: MultiDict[str]) -> Json:
    """Flex's list body for one window of ``items``: totalCount, limit and the items."""
    offset, limit = window(matrix)
    return {"totalCount": len(items), "limit": limit, plural: items[offset : offset + limit]}


def flag(matrix: MultiDict[str], name: str) -> bool | None:
    """A boolean matrix parameter; None when absent, 400 when not true or false."""
    raw = matrix.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise FlexError(400, f"Invalid value '{raw}' for {name}: true or false expected")
