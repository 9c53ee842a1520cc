"""The shelf adapter: the catalogue's books as HAL, and as unified assets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from aiohttp import web

from gateway.spi import (
    Adapter,
    AssetPage,
    AssetQuery,
    BackendConfig,
    Field,
    RegistryEntry,
    RelationDoc,
    Route,
    Secret,
    StaticHeaders,
    UnifiedAsset,
    UpstreamAuth,
    hal,
    hal_response,
    matches,
    path_segment,
    sort_key,
)


class ShelfAdapter(Adapter):
    """A book catalogue behind an API key."""

    kind = "shelf"
    curie = "shelf"
    description = "A small book catalogue."
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field("api_key", str, "The catalogue's API key.", required=True, secret=True),
    )
    search_method = "the gateway matches every word of q in book titles"

    @classmethod
    def upstream_auth(cls, backend: BackendConfig) -> UpstreamAuth:
        """The API key on every request."""
        key = backend.options["api_key"]
        assert isinstance(key, Secret)
        return StaticHeaders({"X-Shelf-Key": key.reveal()}, refusals=(401,))

    async def probe(self) -> None:
        """The catalogue answers its book list with the configured key."""
        await self.client.request("GET", "/books")

    def routes(self) -> Sequence[Route]:
        """The book list and one book."""
        return (
            Route("GET", "/books", self._books),
            Route("GET", "/books/{id}", self._book),
        )

    def relations(self) -> Sequence[RelationDoc]:
        """``shelf:books`` and ``shelf:book``."""
        return (
            RelationDoc(
                "books", "Books", "Every book of the catalogue, embedded.", template="/books"
            ),
            RelationDoc("book", "A book", "One book by id.", template="/books/{id}"),
        )

    def registry_entries(self) -> Sequence[RegistryEntry]:
        """The book list and the book template."""
        return (
            RegistryEntry("shelf:books", "/books"),
            RegistryEntry("shelf:book", "/books/{id}", templated=True),
        )

    async def service_root(self, request: web.Request, base: str) -> hal.Resource:
        """The core's root with the catalogue's links."""
        root = await super().service_root(request, base)
        href = self.hrefs(request)
        root.link("shelf:books", href("/books"), title="Books")
        root.link("shelf:book", href("/books/{id}"), templated=True, title="A book")
        return root

    async def _list(self) -> list[dict[str, Any]]:
        answer = await self.client.request("GET", "/books")
        return [b for b in answer.json_object().get("books", []) if isinstance(b, dict)]

    async def _read(self, book_id: str) -> dict[str, Any]:
        answer = await self.client.request("GET", "/books/" + path_segment(book_id))
        return answer.json_object()

    def _doc(self, request: web.Request, book: dict[str, Any]) -> hal.Resource:
        # One function for the book alone and embedded in the list: the same links.
        href = self.hrefs(request)
        doc = hal.Resource({"id": book["id"], "title": book["title"]})
        doc.link("self", href("/books/" + path_segment(book["id"])))
        return doc.link("up", href("/books"))

    async def _books(self, request: web.Request) -> web.Response:
        href = self.hrefs(request)
        doc = hal.Resource({"count": 0}).link("self", href("/books")).link("up", href(""))
        books = [self._doc(request, b) for b in await self._list()]
        doc.properties["count"] = len(books)
        doc.embed("shelf:book", books)
        return hal_response(doc)

    async def _book(self, request: web.Request) -> web.Response:
        book = await self._read(request.match_info["id"])
        return hal_response(self._doc(request, book))

    @staticmethod
    def _asset(book: dict[str, Any]) -> UnifiedAsset:
        native = "/books/" + path_segment(book["id"])
        return UnifiedAsset(book["id"], book["title"], "other", native=native)

    async def list_assets(self, query: AssetQuery) -> AssetPage:
        """Books whose titles hold every word of ``q``, in title order."""
        books = [b for b in await self._list() if not query.text or matches(query.text, b["title"])]
        if query.type not in (None, "other"):
            books = []
        books.sort(key=lambda b: sort_key(b["title"], b["id"]))
        window = books[query.offset : query.offset + query.limit]
        more = query.offset + query.limit < len(books)
        return AssetPage([self._asset(b) for b in window], more=more, total=len(books))

    async def get_asset(self, native_id: str) -> UnifiedAsset:
        """One book as a unified asset."""
        return self._asset(await self._read(native_id))
