"""The suite's HAL client, with the MediaCentral folder tree in mind."""

from __future__ import annotations

from tests.support.navigator import HAL, PROBLEM, Doc
from tests.support.navigator import Navigator as BaseNavigator

__all__ = ["HAL", "PROBLEM", "Doc", "Navigator"]


class Navigator(BaseNavigator):
    """Follows relations from the root; knows the platform's folders and folder items."""

    @classmethod
    def collection(cls, folder: Doc) -> Doc:
        """The first page of a folder's children: its embedded ``loc:collection``."""
        page: Doc = folder["_embedded"]["loc:collection"]
        return page

    @classmethod
    def children(cls, folder: Doc) -> list[Doc]:
        """The children on a folder's first page."""
        return cls.embedded(cls.collection(folder), "loc:item")

    @classmethod
    def child(cls, folder: Doc, name: str) -> Doc:
        """The child of ``folder`` called ``name``, on its first page."""
        for item in cls.children(folder):
            if item["common"]["name"] == name:
                return item
        raise AssertionError(f"no item {name} in {folder['common']['name']}")
