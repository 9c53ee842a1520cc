"""A complete upstream answer, read whole, with the JSON accessors adapters use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDictProxy

from gateway.web import jsoncodec
from gateway.web.errors import UpstreamUnavailable


@dataclass(slots=True)
class UpstreamResponse:
    """A complete upstream answer."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str
    backend: str
    links: Mapping[str, str] = field(default_factory=dict)
    """RFC 8288 ``Link`` header: relation → absolute URL."""

    @property
    def content_type(self) -> str:
        """The media type, without parameters, lower case."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; anything else is the upstream's fault (503)."""
        data = self.json()
        if not isinstance(data, dict):
            raise UpstreamUnavailable(
                f"backend {self.backend} answered with an unexpected document",
                backend=self.backend,
            )
        return data

    def json_list(self) -> list[Any]:
        """The body as a JSON array; anything else is the upstream's fault (503)."""
        data = self.json()
        if not isinstance(data, list):
            raise UpstreamUnavailable(
                f"backend {self.backend} answered with an unexpected list", backend=self.backend
            )
        return data

    def json(self) -> Any:
        """The body decoded as JSON; a broken body is the upstream's fault (503)."""
        try:
            return jsoncodec.loads(self.body) if self.body else None
        except ValueError as exc:
            raise UpstreamUnavailable(
                f"backend {self.backend} answered with a body that is not valid JSON",
                backend=self.backend,
            ) from exc
