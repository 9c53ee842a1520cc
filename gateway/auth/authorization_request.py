"""The authorization request of ``/auth/authorize`` (RFC 6749 4.1.1, PKCE RFC 7636): its
parameters checked, and where its answer goes.

:func:`client_and_redirect` checks the client and the redirect URI first: anything wrong
there is a 400, never a redirect. :func:`checked` checks the rest; what does not hold is
a :class:`Refused`, an error that goes back to the client's redirect URI
(:func:`location`). :func:`silent` says whether a logged-in browser's code may go to the
client without asking the person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode, urlsplit, urlunsplit

from aiohttp import web
from authlib.oauth2.rfc7636.challenge import (  # type: ignore[import-untyped]
    CODE_CHALLENGE_PATTERN,
)
from multidict import MultiMapping

from gateway.auth.grants import scope_of
from gateway.auth.identity import implied
from gateway.config.auth import Principal
from gateway.config.loading import CONFIG
from gateway.config.redirects import registered
from gateway.web.errors import BadRequest, OAuthError
from gateway.web.urls import public_base

PARAMETERS: Final = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
"""The authorization request's parameters, in the order they are sent on."""


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A request whose client and redirect URI hold: errors may go back to the client now."""

    client: Principal
    redirect_uri: str
    state: str | None
    parameters: tuple[tuple[str, str], ...]
    """The parameters of :data:`PARAMETERS` as sent, for the form and the way back."""


class Refused(Exception):
    """An error of the authorization request that goes back to the client's redirect URI."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _one(params: MultiMapping[str], name: str) -> str:
    values = params.getall(name, [])
    if len(values) > 1:
        raise BadRequest(f"{name} was sent more than once")
    return str(values[0]) if values else ""


def client_and_redirect(request: web.Request, params: MultiMapping[str]) -> AuthorizationRequest:
    """The client and redirect URI, both checked; a 400 (never a redirect) otherwise."""
    client_id, redirect_uri = _one(params, "client_id"), _one(params, "redirect_uri")
    if not client_id:
        raise BadRequest("client_id is missing: name the client that asks for authorization")
    client = request.app[CONFIG].auth.clients.get(client_id)
    if client is None:
        raise BadRequest(f"no client {client_id!r} is configured")
    if not redirect_uri:
        raise BadRequest("redirect_uri is missing: send one registered for the client")
    if not registered(redirect_uri, client.redirect_uris):
        raise BadRequest(f"redirect_uri is not one registered for client {client_id!r}")
    parameters = tuple(
        (name, str(params[name])) for name in PARAMETERS if isinstance(params.get(name), str)
    )
    state = params.get("state")
    return AuthorizationRequest(
        client, redirect_uri, state if isinstance(state, str) else None, parameters
    )


def checked(wanted: AuthorizationRequest, params: MultiMapping[str]) -> tuple[frozenset[str], str]:
    """The scope asked for and the PKCE challenge; :class:`Refused` for what does not hold."""
    # Only the request's own parameters count (others are ignored, RFC 6749 3.1), and only
    # their names reach the answer and the log: other names are the sender's words.
    repeated = [name for name in PARAMETERS if len(params.getall(name, [])) > 1]
    if repeated:
        raise Refused("invalid_request", f"parameters sent more than once: {', '.join(repeated)}")
    response_type = params.get("response_type", "")
    if response_type != "code":
        error = "invalid_request" if not response_type else "unsupported_response_type"
        raise Refused(error, "response_type must be code")
    challenge, method = params.get("code_challenge", ""), params.get("code_challenge_method")
    if not challenge:
        raise Refused("invalid_request", "code_challenge is required (PKCE, method S256)")
    if method != "S256":
        raise Refused("invalid_request", "code_challenge_method must be S256 (plain is refused)")
    if not isinstance(challenge, str) or not CODE_CHALLENGE_PATTERN.fullmatch(challenge):
        raise Refused("invalid_request", "code_challenge must be 43-128 unreserved characters")
    try:
        requested = scope_of({"scope": str(params.get("scope", ""))})
    except OAuthError as exc:
        raise Refused("invalid_scope", exc.detail) from None
    if requested - implied(wanted.client.roles):
        raise Refused("invalid_scope", f"client {wanted.client.name} may not ask for that scope")
    return requested, challenge


def location(request: web.Request, wanted: AuthorizationRequest, answer: Mapping[str, str]) -> str:
    """The client's redirect URI with ``answer``, ``state`` and ``iss`` added to its query."""
    fields = dict(answer)
    if wanted.state is not None:
        fields["state"] = wanted.state
    fields["iss"] = public_base(request)
    parts = urlsplit(wanted.redirect_uri)
    # The registered query is kept as it was written: only the answer is encoded here.
    query = "&".join(q for q in (parts.query, urlencode(fields)) if q)
    return urlunsplit(parts._replace(query=query))


def silent(wanted: AuthorizationRequest) -> bool:
    """Whether a session's code may go to the client without asking the person: a
    confidential client (it must authenticate to redeem) at an https URI (which no other
    app on the person's machine can claim, as it could a loopback port or a scheme)."""
    return not wanted.client.public and urlsplit(wanted.redirect_uri).scheme == "https"
