"""Upstream URLs exactly as built: never normalised, never holding a dot segment.

An HTTP client that "cleans" a URL resolves ``.`` and ``..`` (RFC 3986 5.2.4) and may
decode escapes such as ``%2E``: an id ``..`` built into
``/media_objects/X/supplemental_files/..`` would go out as ``/media_objects/X/``, a
different resource. :func:`exact_url` escapes only what cannot stand in a URL, keeps
every existing escape as it is, and refuses dot segments in any spelling with a 404:
no resource of a gateway route is named ``.`` or ``..``, so nothing should be sent.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from yarl import URL

from gateway.web.errors import NotFound
from gateway.web.urls import is_dot_segment

# Characters that may stand in a URL as they are (RFC 3986 unreserved and reserved), and
# "%" where it starts an escape.
_NOT_URL: Final = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")


def _escape(text: str) -> str:
    return _NOT_URL.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)


def exact_url(url: str, *, encoded: bool = False) -> URL:
    """``url`` as a yarl URL that aiohttp sends unchanged.

    ``encoded`` says the caller escaped the URL itself; otherwise characters that cannot
    stand in a URL are escaped here (existing escapes kept). Either way a path segment
    that is a dot segment in any spelling raises :class:`NotFound`.
    """
    text = url if encoded else _escape(url)
    path = urlsplit(text).path
    if any(is_dot_segment(segment) for segment in path.split("/")):
        raise NotFound("'.' and '..' are not ids of anything")
    return URL(text, encoded=True)
