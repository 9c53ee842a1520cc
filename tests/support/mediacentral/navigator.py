"""The suite's HAL client, with the MediaCentral folder tree in mind."""

from __future__ import annotations

from tests.support.navigator import HAL, PROBLEM, Doc
from tests.support.navigator import Navigator as BaseNavigator

__all__ = ["HAL", "PROBLEM", "Doc", "Navigator"]


class Navigator(BaseNavigator):
    """Follows relations from the root; knows the platform's folder items."""

    @classmethod
    def child(cls, folder: Doc, name: str) -> Doc:
        """The embedded item of ``folder`` called ``name``."""
        for item in cls.embedded(folder, "loc:item"):
            if item["common"]["name"] == name:
                return item
        raise AssertionError(f"no item {name} in {folder['common']['name']}")
