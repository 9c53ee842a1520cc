"""OAuth 2.0 pieces the simulators' token endpoints share (RFC 6749).

Each simulator keeps its own rules (which grants, which ways a client may
authenticate); these are the parts of the RFC they read and answer alike: the client's
HTTP Basic credentials (section 2.3.1) and error answers (section 5.2).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from aiohttp import web

from gateway.spi import NO_STORE


def basic_client(header: str | None, *, form_encoded: bool = True) -> tuple[str, str] | None:
    """(client id, secret) from an HTTP Basic ``Authorization`` header; None if it is none.

    Section 2.3.1 form-encodes both halves before the Basic encoding, and
    ``form_encoded`` decodes them; without it they are taken as they are, as a server
    does that compares the raw halves.
    """
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = raw.partition(":")
    if not sep:
        return None
    if form_encoded:
        return unquote_plus(client_id), unquote_plus(secret)
    return client_id, secret


def oauth_error(status: int, error: str, description: str, *, realm: str) -> web.Response:
    """A section 5.2 error answer; a 401 challenges the client to HTTP Basic in ``realm``."""
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = f'Basic realm="{realm}"'
    return web.json_response(
        {"error": error, "error_description": description}, status=status, headers=headers
    )
