"""Request plumbing of the Flex simulator: matrix parameters, routing, Basic auth, errors.

Flex puts paging and filters on the path as matrix parameters
(``/api/assets;offset=0;limit=100;name=news``). aiohttp routes on the decoded path, so
the simulator serves everything under ``/api`` from one handler and routes itself:
the raw path is split into segments, each segment into its name and its ``;key=value``
parameters (percent-decoded one by one, so an encoded ``;`` inside a value stays a
character of that value), and the segment names are matched against a route table.

Answers are labelled ``application/json`` and request bodies must come in Flex's own
media types (``application/vnd.nativ.mio.v1+json``, and ``...+xml`` where XML is
taken), as every recorded exchange has them. Flex's own errors are
``{"errors": {"error": ...}}``; what its web container answers before Flex sees the
request (no resource at that path, a method or body type no resource takes) is an
HTML error page, as recorded.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote

from aiohttp import web
from multidict import MultiDict

MEDIA_TYPE: Final = "application/vnd.nativ.mio.v1+json"
"""What request bodies of JSON must be labelled."""
XML_MEDIA_TYPE: Final = "application/vnd.nativ.mio.v1+xml"
"""What request bodies of XML must be labelled, where a resource takes XML."""
ANSWER_TYPE: Final = "application/json"
"""What every JSON answer is labelled."""
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 100
REALM: Final = "Flex"

Json = dict[str, Any]


class FlexError(Exception):
    """Ends a request with ``status`` and Flex's ``{"errors": {"error": message}}`` body.

    ``page`` makes it the web container's HTML error page instead.
    """

    def __init__(self, status: int, message: str, *, page: bool = False) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.page = page

    def response(self) -> web.Response:
        """The HTTP answer this error stands for."""
        if self.page:
            return web.Response(
                text=_PAGE.format(status=self.status, message=html.escape(self.message)),
                status=self.status,
                content_type="text/html",
                charset="utf-8",
            )
        headers = {"WWW-Authenticate": f'Basic realm="{REALM}"'} if self.status == 401 else None
        return json_response({"errors": {"error": self.message}}, self.status, headers)


_PAGE: Final = (
    "<html><head><title>JBoss Web/7.4.10.Final-redhat-1 - JBWEB000064: Error report</title>"
    "</head><body><h1>JBWEB000065: HTTP Status {status} - {message}</h1>"
    '<HR size="1" noshade="noshade"><p><b>JBWEB000068: message</b> <u>{message}</u></p>'
    "<h3>JBoss Web/7.4.10.Final-redhat-1</h3></body></html>"
)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A Flex JSON answer, labelled ``application/json`` as Flex labels its answers."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type=ANSWER_TYPE, headers=headers
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
            raise FlexError(404, f"{what}: {raw} not found.")
        return int(raw)

    def check_type(self, *accepted: str) -> None:
        """415 (the container's page) unless the body is labelled with one of ``accepted``."""
        if self.request.content_type not in accepted:
            raise FlexError(415, "Cannot consume content type", page=True)

    async def body(self) -> Any:
        """The request body as JSON in Flex's media type; 400 when it is missing or broken."""
        self.check_type(MEDIA_TYPE)
        raw = await self.request.read()
        if not raw.strip():
            raise FlexError(400, "A request body is required")
        try:
            return json.loads(raw)
        except ValueError:
            raise FlexError(400, "The request body is not valid JSON") from None

    async def object_body(self, *, model: str | None = None, fields: Iterable[str] = ()) -> Json:
        """The request body, which must be a JSON object.

        With ``model``, a member not among ``fields`` is refused with 400, as Flex's JSON
        reader refuses members its model class does not have.
        """
        body = await self.body()
        if not isinstance(body, dict):
            raise FlexError(400, "The request body must be a JSON object")
        unknown = [key for key in body if key not in fields] if model is not None else []
        if unknown:
            raise FlexError(
                400,
                f'Unrecognized field "{unknown[0]}" (Class {model}), not marked as ignorable\n'
                " at [Source: org.apache.catalina.connector.CoyoteInputStream@5f2a7c31; line: 1,"
                f' column: 2] (through reference chain: {model}["{unknown[0]}"])',
            )
        return body

    def created(self, data: Any, path: str | None = None) -> web.Response:
        """201 with the new object and its URL (its ``href`` unless given) in ``Location``."""
        where = self.href(path) if path is not None else data.get("href")
        return json_response(data, 201, {"Location": where} if where else None)


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


@dataclass
class Router:
    """Routes of segment patterns (``assets/{id}/keyframes``) to handlers."""

    routes: list[tuple[str, tuple[str, ...], Handler]] = field(default_factory=list)

    def add(self, method: str, path: str, handler: Handler) -> None:
        """Route ``method path`` (relative to ``/api``) to ``handler``."""
        pattern = tuple(s for s in path.strip("/").split("/") if s)
        self.routes.append((method, pattern, handler))

    def resolve(self, method: str, segments: list[str], url: str) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters of ``method`` on ``segments`` (of ``url``).

        An unknown first segment is Flex's JSON 404 (it looks plurals up by name); any
        other path no route takes, ``/api`` itself included, is the container's 404 page,
        and a method no route of the path takes its 405 page.
        """
        if segments and segments[0] not in {pattern[0] for _, pattern, _ in self.routes}:
            raise FlexError(404, f"No object type found for plural name: {segments[0]}")
        allowed = False
        for route_method, pattern, handler in self.routes:
            params = _match(pattern, segments)
            if params is None:
                continue
            if route_method == method:
                return handler, params
            allowed = True
        if allowed:
            raise FlexError(405, f"No resource method found for {method}", page=True)
        relative = "/" + "/".join(segments)
        message = f"Could not find resource for relative : {relative} of full path: {url}"
        raise FlexError(404, message, page=True)


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
    """Flex's list body for one window of ``items``: the items, totalCount, offset, limit."""
    offset, limit = window(matrix)
    return {
        plural: items[offset : offset + limit],
        "totalCount": len(items),
        "offset": offset,
        "limit": limit,
    }


def flag(matrix: MultiDict[str], name: str) -> bool | None:
    """A boolean matrix parameter; None when absent, 400 when not true or false."""
    raw = matrix.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise FlexError(400, f"Invalid value '{raw}' for {name}: true or false expected")
