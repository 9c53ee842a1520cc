"""The shelf simulator: three books behind an API key, on a loopback port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from gateway.spi import BackendConfig, Secret, Simulator

BOOKS: Final = {
    "b1": "An interview with the archivist",
    "b2": "Cataloguing sound",
    "b3": "Interview techniques",
}
DEMO_KEY: Final = "shelf-demo-key"


class ShelfSimulator(Simulator):
    """The catalogue: ``GET /books`` and ``GET /books/{id}``, 401 without the key."""

    kind = "shelf"

    def __init__(self, api_key: str = DEMO_KEY, **faults: Any) -> None:
        super().__init__(**faults)
        self.api_key = api_key

    @classmethod
    def for_backend(cls, backend: BackendConfig) -> ShelfSimulator:
        """A catalogue that accepts the backend's configured key."""
        key = backend.options["api_key"]
        return cls(key.reveal() if isinstance(key, Secret) else str(key))

    def build_app(self) -> web.Application:
        """The two routes behind the key check."""

        @web.middleware
        async def key_check(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            if request.headers.get("X-Shelf-Key") != self.api_key:
                return web.json_response({"error": "bad key"}, status=401)
            return await handler(request)

        async def books(request: web.Request) -> web.Response:
            listed = [{"id": k, "title": v} for k, v in BOOKS.items()]
            return web.json_response({"books": listed})

        async def book(request: web.Request) -> web.Response:
            book_id = request.match_info["id"]
            if book_id not in BOOKS:
                return web.json_response({"error": f"no book {book_id}"}, status=404)
            return web.json_response({"id": book_id, "title": BOOKS[book_id]})

        app = web.Application(middlewares=[key_check])
        app.router.add_get("/books", books)
        app.router.add_get("/books/{id}", book)
        return app
