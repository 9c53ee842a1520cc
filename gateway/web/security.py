"""Security headers: on every answer, and stricter ones on bytes relayed from upstreams.

Every answer of the gateway gets, unless its handler set them otherwise:

- ``X-Content-Type-Options: nosniff``: a browser takes the type as sent, never guesses
  ``text/html`` from the bytes;
- ``Referrer-Policy: no-referrer``: a gateway URL (ids, search terms) never travels to
  wherever a link leads;
- ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``: no page frames it;
- :data:`OWN_POLICY`, a Content Security Policy that loads nothing at all. The gateway's
  own HTML (``/rels/...``, ``/problems/...``) is markup and links only, with no script,
  style, image, form or frame, so it needs no source; on JSON answers the policy costs
  nothing and disarms one opened as a document. The HAL browser's page, the one page
  that runs a script, has :data:`BROWSER_POLICY`.

Relayed upstream bytes are what an editor uploaded, on the gateway's own origin: a
script among them must never run there, where it could read the victim's CSRF token
from ``/auth/me`` and act as the victim. :func:`relayed_headers` makes them
``Content-Disposition: attachment`` unless their type is one a browser only displays
(:func:`passive`), and sandboxes them (``Content-Security-Policy: sandbox``: a unique
origin, no script) whatever their type, in case one is opened anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from aiohttp import web
from multidict import CIMultiDict

EVERY_ANSWER: Final = MappingProxyType(
    {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
)
"""Headers every answer carries."""
OWN_POLICY: Final = (
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The CSP of the gateway's own answers: nothing loads, nothing frames them."""
BROWSER_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'"
)
"""The CSP of the HAL browser's page (:mod:`gateway.api.browser`): its own script and style
files and requests to its own origin, nothing else. No inline script or style, no
``eval``, no image, frame or plugin; forms are never submitted by the browser itself (the
script sends them); no string ever becomes markup (Trusted Types with no policy: the
page builds its DOM from text nodes), so nothing an upstream said runs on this origin."""
RELAYED_POLICY: Final = "sandbox"
"""The CSP of relayed bytes: opened as a document, they get an opaque origin and no script.

Nothing more restrictive: a ``default-src 'none'`` would keep some browsers from showing an
image or a video opened on its own, which the sandbox already makes harmless."""

PASSIVE_TYPES: Final = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "text/plain",
        "text/vtt",
    }
)
"""Types a browser only displays, never runs: they may stay inline.

SVG is an image that runs scripts, and PDF a document that may, so neither is here; nor
is any HTML, XML or script type. ``text/plain`` and ``text/vtt`` are safe only because
``nosniff`` keeps a browser from reading them as anything else."""
PASSIVE_FAMILIES: Final = ("audio/", "video/")
"""Whole top-level types a browser plays in its own player, never as a document."""


def passive(content_type: str | None) -> bool:
    """Whether ``content_type`` (parameters allowed) is displayed, never run, by a browser."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type in PASSIVE_TYPES or media_type.startswith(PASSIVE_FAMILIES)


def attachment(disposition: str | None) -> str:
    """``disposition`` as an attachment, its parameters (the file's name) kept."""
    _, semicolon, parameters = (disposition or "").partition(";")
    return "attachment" + semicolon + parameters


def relayed_headers(headers: Mapping[str, str]) -> CIMultiDict[str]:
    """The headers to send relayed upstream bytes with: ``headers`` made safe.

    ``Content-Disposition`` becomes ``attachment`` (the file's name kept) unless the
    ``Content-Type`` is :func:`passive`, when the upstream's own disposition, if any,
    stands; ``nosniff`` and the sandbox are added whatever the type. An adapter that
    sends upstream bytes on without :func:`gateway.web.relay.relay` passes its headers
    through this.
    """
    out = CIMultiDict(headers)
    if not passive(out.get("Content-Type")):
        out["Content-Disposition"] = attachment(out.get("Content-Disposition"))
    out["X-Content-Type-Options"] = EVERY_ANSWER["X-Content-Type-Options"]
    out["Content-Security-Policy"] = RELAYED_POLICY
    return out


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: :data:`EVERY_ANSWER`, and :data:`OWN_POLICY` unless the
    handler chose a policy (relayed bytes carry :data:`RELAYED_POLICY`)."""
    for name, value in EVERY_ANSWER.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", OWN_POLICY)
