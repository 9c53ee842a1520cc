"""The HAL browser: one page, served by the gateway itself, that walks the API by its links.

``GET /browser`` is the page; ``GET /browser/browser.js`` and ``/browser/browser.css`` its
script and style sheet. The three are files of this package (``gateway/api/static/``),
read once when the app is built: no CDN, no build step. They are public: the page logs in
itself (``/auth/login``, then the session cookie and the CSRF token it answers).

The page shows a resource's properties, links (a templated one opens a form for its
variables), embedded resources, HAL-FORMS templates as forms, and problem documents; bytes
that are not JSON are offered as a link, never shown. It runs under
:data:`~gateway.web.security.BROWSER_POLICY`: its own files and requests to its own origin,
and no string ever becomes markup.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from aiohttp import web

from gateway.web.routing import Route, add_route
from gateway.web.security import BROWSER_POLICY

PATH: Final = "/browser"
_FILES: Final = (
    ("browser.html", "text/html", PATH),
    ("browser.js", "text/javascript", PATH + "/browser.js"),
    ("browser.css", "text/css", PATH + "/browser.css"),
)
_REVALIDATE: Final = {"Cache-Control": "no-cache"}
"""The files change with the gateway's version: reused only once revalidated."""


def _read(name: str) -> bytes:
    return resources.files("gateway.api").joinpath("static", name).read_bytes()


def _serve(body: bytes, media_type: str, page: bool) -> web.Response:
    headers = dict(_REVALIDATE)
    if page:
        headers["Content-Security-Policy"] = BROWSER_POLICY
    return web.Response(body=body, content_type=media_type, charset="utf-8", headers=headers)


def _handler(name: str, media_type: str, path: str) -> Route:
    body = _read(name)
    page = media_type == "text/html"

    async def serve(request: web.Request) -> web.Response:
        return _serve(body, media_type, page)

    serve.__doc__ = "The HAL browser's page." if page else f"The HAL browser's {name}."
    return Route("GET", path, serve, produces=(media_type,), access="public")


def setup(app: web.Application) -> None:
    """Add the browser's page and files."""
    for name, media_type, path in _FILES:
        add_route(app, _handler(name, media_type, path))
