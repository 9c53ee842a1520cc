"""Turning the platform's hrefs into gateway URLs, everywhere in a document.

The platform speaks HAL already; the gateway passes its documents on with every
upstream href replaced, templated or not, in ``_links`` and in nested ``_embedded``
resources, so no upstream host ever reaches a client:

- An href expanded from (or equal to) the template of a service the gateway serves
  under its own route becomes that route: ``.../locations/items/news?offset=25``
  becomes ``<backend>/items/news?offset=25``. These URLs stay valid when the platform
  moves its services.
- Any other href on the platform becomes ``<backend>/proxy<upstream path>``, which the
  gateway passes through while it lies inside a discovered service, fetched from the
  host that service lives on (services may live on other hosts than the registry).
- Hrefs elsewhere (the CURIEs' documentation on the developer site) stay as they are.
- Relative hrefs (``items/x``, ``../x``, ``?offset=25``) are first resolved against the
  URL of the document they came in, as HTTP says they are.

Strings outside links that carry the platform's address are rewritten the same way.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import quote, urlencode, urljoin

from adapters.mediacentral.discovery import Services, split_origin
from adapters.mediacentral.templates import TemplateMatcher

PROXY: Final = "/proxy"
"""Gateway path (under the backend root) of hrefs no gateway route stands for."""

GATEWAY_ROUTES: Final = {
    "loc:root-item": "/locations",
    "loc:item-by-id": "/items/{id}",
    "aa:asset-by-id": "/assets/{id}",
    "aa:update-asset-by-id": "/assets/{id}",
    "search:simple-search": "/search",
}
"""Upstream relation → the gateway route (under the backend root) that serves it."""


class Rewriter:
    """Rewrites one document's upstream hrefs for one backend root on the gateway.

    ``url`` is where the document came from: relative hrefs are resolved against it.
    """

    def __init__(self, services: Services, root: str, url: str | None = None) -> None:
        self.root = root
        self.url = url
        self.origins = services.origins
        self._routes: list[tuple[TemplateMatcher, str]] = []
        for rel, route in GATEWAY_ROUTES.items():
            service = services.get(rel)
            if service is None:
                continue
            matcher = service.matcher
            if len(matcher.path_variables) == route.count("{id}"):
                self._routes.append((matcher, route))
        alternatives = "|".join(re.escape(o) for o in sorted(self.origins, key=len, reverse=True))
        # An origin followed by more host or port characters is a different origin.
        self._inline = (
            re.compile(f"(?:{alternatives})(?![\\w.:\\-])", re.IGNORECASE) if alternatives else None
        )

    def href(self, href: str, templated: bool = False) -> str:
        """The gateway URL (or URI template) for an upstream href."""
        origin, rest = split_origin(href)
        if origin is None and self.url is not None:
            origin, rest = split_origin(urljoin(self.url, href))
        if origin is None and not href.startswith("/"):
            return href  # relative to something unknown
        if origin is not None and origin not in self.origins:
            return href
        rest = rest or "/"
        if templated:
            for matcher, route in self._routes:
                if matcher.template == rest:
                    return self.root + route + _query_expression(matcher)
            return self.root + PROXY + rest
        path, _, query = rest.split("#", 1)[0].partition("?")
        for matcher, route in self._routes:
            values = matcher.match(path, query)
            if values is not None:
                return self._route_url(route, matcher, values)
        return self.root + PROXY + rest

    def _route_url(self, route: str, matcher: TemplateMatcher, values: dict[str, str]) -> str:
        path = route
        if matcher.path_variables:
            path = route.replace("{id}", quote(values[matcher.path_variables[0]], safe=""))
        pairs = [(v, values[v]) for v in matcher.query_variables if v in values]
        return self.root + path + ("?" + urlencode(pairs, quote_via=quote) if pairs else "")

    def document(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A copy of a HAL document with every upstream href rewritten."""
        out: dict[str, Any] = {}
        for key, value in doc.items():
            if key == "_links" and isinstance(value, dict):
                out[key] = {rel: self._links(links) for rel, links in value.items()}
            else:
                # _embedded resources and plain properties alike: resources recurse.
                out[key] = self._value(value)
        return out

    def _links(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._link(link) for link in value]
        return self._link(value)

    def _link(self, link: Any) -> Any:
        if not isinstance(link, dict):
            return self._value(link)
        out: dict[str, Any] = {}
        for key, value in link.items():
            if key == "href" and isinstance(value, str):
                out[key] = self.href(value, link.get("templated") is True)
            else:
                out[key] = self._value(value)
        return out

    def _value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self.document(value)
        if isinstance(value, list):
            return [self._value(item) for item in value]
        if isinstance(value, str):
            return self._text(value)
        return value

    def _text(self, text: str) -> str:
        origin, _ = split_origin(text)
        if origin is not None and origin in self.origins and " " not in text:
            return self.href(text)
        if self._inline is None:
            return text
        replacement = self.root + PROXY
        return self._inline.sub(lambda _: replacement, text)


def _query_expression(matcher: TemplateMatcher) -> str:
    variables = matcher.query_variables
    return "{?" + ",".join(variables) + "}" if variables else ""
