"""ActiveStorage in the Avalon simulator: where a supplemental file's bytes come from.

Avalon's default settings (``config/settings.yml:101-102``, ``supplemental_files: proxy:
false``) make ``GET .../supplemental_files/:id`` redirect (302, empty body) to
``rails_blob_path`` (``supplemental_files_controller.rb:92``), Rails' blob redirect
route ``/rails/active_storage/blobs/redirect/:signed_id/*filename``. That route
(``ActiveStorage::Blobs::RedirectController#show`` in rails/rails) redirects again to
the storage service's expiring URL (5 minutes): the Disk service's
``/rails/active_storage/disk/:encoded_key/*filename`` on Avalon's own host by default
(``config/settings.yml:107-108``, ``config/storage.yml``), or a presigned URL on another
host with S3 or MinIO. Neither route is behind Avalon's login: the signed ids are the
capability (``config/application.rb:73-74`` opens them to CORS).

The bytes come with the type and disposition Rails serves a blob with: types Rails
never serves inline (``text/html``, XML, SVG, ...) as ``application/octet-stream``,
and anything but a few image types and PDF as an attachment (Rails' defaults,
``ActiveStorage::Blob#url``), under the blob's own filename.
"""

from __future__ import annotations

import secrets
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote, quote_plus

from aiohttp import web

from adapters.avalon.simulator.plumbing import ACTIVE_STORAGE, base_url
from adapters.avalon.simulator.state import STATE, SupplementalFile

EXPIRES_S: Final = 300.0
"""``ActiveStorage.service_urls_expire_in``: 5 minutes."""
BINARY: Final = frozenset(
    {
        "text/html",
        "image/svg+xml",
        "application/postscript",
        "application/x-shockwave-flash",
        "text/xml",
        "application/xml",
        "application/xhtml+xml",
        "application/mathml+xml",
        "text/cache-manifest",
    }
)
"""``content_types_to_serve_as_binary``."""
INLINE: Final = frozenset(
    {
        "image/webp",
        "image/avif",
        "image/png",
        "image/gif",
        "image/jpeg",
        "image/tiff",
        "image/bmp",
        "image/vnd.adobe.photoshop",
        "image/vnd.microsoft.icon",
        "application/pdf",
    }
)
"""``content_types_allowed_inline``."""
_BUCKET: Final = "supplementalfiles"  # the bucket name config/settings.yml suggests
_TRADITIONAL: Final = frozenset("!#$+.^_`|~- ")
_RFC5987: Final = frozenset("!#$&+.^_`|~-")


@dataclass(frozen=True)
class _Link:
    data: bytes
    content_type: str
    disposition: str
    expires: float


@dataclass
class BlobStore:
    """Expiring service URLs handed out, and the storage host's own origin when separate."""

    origin: str | None = None
    """Base URL of a separate storage host (as S3 or MinIO); None for the Disk service."""
    links: dict[str, _Link] = field(default_factory=dict)
    seen: list[dict[str, str]] = field(default_factory=list)
    """Request headers the separate storage host received, in order."""


BLOBS = web.AppKey("avalon_blobs", BlobStore)


# What I18n.transliterate makes of letters that do not decompose; others become "?".
_APPROXIMATIONS: Final = {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE"}


def _transliterate(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(_APPROXIMATIONS.get(c, c) for c in decomposed if not unicodedata.combining(c))
    return plain.encode("ascii", "replace").decode("ascii")


def _escape(text: str, keep: frozenset[str]) -> str:
    return "".join(
        c if c.isascii() and (c.isalnum() or c in keep) else quote(c, safe="") for c in text
    )


def content_disposition(kind: str, filename: str) -> str:
    """``ActionDispatch::Http::ContentDisposition.format``: ASCII and RFC 5987 names."""
    ascii_name = _escape(_transliterate(filename), _TRADITIONAL)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{_escape(filename, _RFC5987)}"


def download_filename(sf: SupplementalFile) -> str:
    """``SupplementalFile#download_filename``: machine-generated files say so in their name."""
    name = sf.filename or ""
    if "machine_generated" not in sf.tags:
        return name
    stem, dot, extension = name.rpartition(".")
    return f"{stem} (machine generated).{extension}" if dot else f"{name} (machine generated)"


def redirect_to_blob(request: web.Request, sf: SupplementalFile) -> web.Response:
    """The controller's 302 to the blob redirect route, with an empty body (Rails 8)."""
    # Rails' to_query escapes as CGI.escape does: spaces become "+".
    disposition = quote_plus(f"inline; filename={download_filename(sf)}")
    path = f"{ACTIVE_STORAGE}blobs/redirect/{sf.blob_id}/{quote(sf.filename or '')}"
    location = f"{base_url(request)}{path}?disposition={disposition}"
    return web.Response(status=302, headers={"Location": location})


def proxied(sf: SupplementalFile) -> web.Response:
    """The bytes as ``send_data`` sends them with ``supplemental_files.proxy: true``
    (supplemental_files_controller.rb:88): Rails formats the disposition string it is
    given once more, so the name comes twice."""
    name = download_filename(sf)
    return web.Response(
        body=sf.content,
        content_type=sf.content_type or "application/octet-stream",
        headers={"Content-Disposition": content_disposition(f"inline; filename={name}", name)},
    )


async def blob_redirect(request: web.Request) -> web.StreamResponse:
    """``/rails/active_storage/blobs/redirect/:signed_id/*filename``: 302 to the service."""
    blob_id = request.match_info["signed_id"]
    state = request.app[STATE]
    sf = next((f for f in state.supplemental_files.values() if f.blob_id == blob_id), None)
    if sf is None or sf.content is None:
        return web.Response(status=404)
    content_type = sf.content_type or "application/octet-stream"
    kind = "inline" if content_type in INLINE else "attachment"
    if content_type in BINARY:
        content_type = "application/octet-stream"
    filename = sf.filename or "file"
    store = request.app[BLOBS]
    token = secrets.token_urlsafe(24)
    store.links[token] = _Link(
        sf.content, content_type, content_disposition(kind, filename), time.time() + EXPIRES_S
    )
    if store.origin is None:
        location = f"{base_url(request)}{ACTIVE_STORAGE}disk/{token}/{quote(filename)}"
    else:
        query = f"X-Amz-Expires={int(EXPIRES_S)}&X-Amz-Signature={token}"
        location = f"{store.origin}/{_BUCKET}/{sf.blob_id}?{query}"
    headers = {"Location": location, "Cache-Control": f"max-age={int(EXPIRES_S)}, private"}
    return web.Response(status=302, headers=headers)


def _serve(store: BlobStore, token: str) -> web.Response:
    link = store.links.get(token)
    if link is None or link.expires < time.time():
        return web.Response(status=404)
    headers = {"Content-Disposition": link.disposition}
    return web.Response(body=link.data, content_type=link.content_type, headers=headers)


async def disk(request: web.Request) -> web.StreamResponse:
    """``/rails/active_storage/disk/:encoded_key/*filename``: the bytes, 404 once expired."""
    return _serve(request.app[BLOBS], request.match_info["encoded_key"])


async def _presigned(request: web.Request) -> web.StreamResponse:
    store = request.app[BLOBS]
    store.seen.append(dict(request.headers))
    return _serve(store, request.query.get("X-Amz-Signature", ""))


def add_routes(router: web.UrlDispatcher) -> None:
    """ActiveStorage's two routes, on Avalon's own host."""
    router.add_get(ACTIVE_STORAGE + "blobs/redirect/{signed_id}/{filename:.*}", blob_redirect)
    router.add_get(ACTIVE_STORAGE + "disk/{encoded_key}/{filename:.*}", disk)


def storage_app(store: BlobStore) -> web.Application:
    """A separate storage host serving presigned URLs, as S3 or MinIO would."""
    app = web.Application()
    app[BLOBS] = store
    app.router.add_get(f"/{_BUCKET}/{{key}}", _presigned)
    return app
