"""Reading request bodies: size-limited, type-checked, parsed, with clear errors."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any, Final

from aiohttp import hdrs, web
from aiohttp.multipart import content_disposition_filename, parse_content_disposition
from multidict import MultiDictProxy

from gateway.web import jsoncodec
from gateway.web.errors import BadRequest, MalformedBody, PayloadTooLarge
from gateway.web.routing import QueryParam
from gateway.web.settings import HTTP

FORM: Final = "application/x-www-form-urlencoded"


async def read_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The request's form fields; 400 for a body its charset does not decode."""
    try:
        return await request.post()
    except (UnicodeDecodeError, LookupError):
        raise MalformedBody(
            "the form does not decode with its charset (UTF-8 unless said)"
        ) from None


"""The media type of an HTML form's body: the logins and the OAuth endpoints take it."""
CHUNK_BYTES: Final = 256 * 1024
"""Bytes read at a time from a streamed body, request or upstream download."""
MAX_JSON_DEPTH: Final = 100
"""Deepest nesting of arrays and objects taken in a JSON body.

No resource needs more, and everything that walks a document afterwards (adapters'
checks, the JSON writer on the way upstream) recurses per level: a limit well inside
Python's recursion limit keeps a deep document a 400, never a 500.
"""


async def read_json(request: web.Request) -> Any:
    """The request body parsed as JSON.

    The size limit is the app's ``client_max_size`` (``server.max_body_bytes``; 413
    above it, raised by aiohttp and converted by the problem middleware). An empty
    or unparsable body is a 400 that says where parsing stopped; so is a document nested
    deeper than :data:`MAX_JSON_DEPTH` or with an integer longer than Python converts.
    """
    raw = await request.read()
    if not raw.strip():
        raise MalformedBody("the request body is empty; a JSON document is expected")
    try:
        document = jsoncodec.loads(raw)
    except UnicodeDecodeError as exc:
        raise MalformedBody("the request body is not UTF-8 encoded") from exc
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except jsoncodec.TooDeep:
        # The parser recurses per level; the stack ran out before the document did.
        raise MalformedBody(_too_deep()) from None
    except ValueError:
        # The only other ValueError json raises: an integer past Python's int-str limit.
        raise MalformedBody(
            f"the request body holds a number with more than {sys.get_int_max_str_digits()} digits"
        ) from None
    if _depth_exceeds(document, MAX_JSON_DEPTH):
        raise MalformedBody(_too_deep())
    return document


def _too_deep() -> str:
    return f"the request body is nested more than {MAX_JSON_DEPTH} levels deep"


def _depth_exceeds(document: Any, limit: int) -> bool:
    """Whether arrays and objects in ``document`` nest deeper than ``limit``; no recursion."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in value)
    return False


async def stream_body(request: web.Request) -> AsyncIterator[bytes]:
    """The request body in chunks, for streaming it on without holding it in memory.

    Stops with 413 once more than ``server.max_upload_bytes`` arrived (a declared
    ``Content-Length`` over the limit was refused before the handler ran), and with 400
    when the client breaks off.
    """
    limit = request.app[HTTP].max_upload_bytes
    seen = 0
    chunks = request.content.iter_chunked(CHUNK_BYTES)
    while True:
        try:
            chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except OSError as exc:  # the client went away mid-body: its fault, not the upstream's
            raise BadRequest(f"the request body broke off after {seen} bytes") from exc
        seen += len(chunk)
        if seen > limit:
            raise PayloadTooLarge(f"the request body exceeds the limit of {limit} bytes")
        yield chunk


UPLOAD_NAME: Final = QueryParam(
    "filename", description="the file's name, when no Content-Disposition header names it"
)
"""The query parameter :func:`upload_filename` reads."""


def upload_filename(request: web.Request) -> str:
    """The name of a raw upload: ``?filename=``, else the ``Content-Disposition`` filename."""
    name = request.query.get("filename")
    if not name:
        _, params = parse_content_disposition(request.headers.get(hdrs.CONTENT_DISPOSITION))
        name = content_disposition_filename(params, "filename")
    if not name:
        raise BadRequest("name the file with ?filename= or a Content-Disposition header")
    return name
