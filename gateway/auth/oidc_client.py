"""The gateway as an OpenID Connect relying party: the protocol, without the routes.

One :class:`RelyingParty` per gateway, over the issuer's discovery document and keys
(shared with the bearer-token check, :class:`gateway.auth.tokens.Jwks`):

- :meth:`~RelyingParty.authorization_url`: where a browser starts a login (authorization
  code flow, PKCE S256, ``state`` and ``nonce``);
- :meth:`~RelyingParty.redeem`: the code exchanged at the token endpoint with the
  verifier and the client's secret (``client_secret_basic``, or ``client_secret_post``
  where the issuer offers only that; a client without a secret sends its id alone);
- :meth:`~RelyingParty.id_token_claims`: the ID token checked with ``joserfc``:
  signature by the issuer's keys (asymmetric algorithms only, fixed), ``iss``, ``aud``
  and ``azp`` (required with several audiences; when present, the gateway's client id),
  ``exp`` and ``iat`` against :attr:`~RelyingParty.clock` with the bearer path's
  leeway, ``sub``, and ``nonce``;
- :meth:`~RelyingParty.promises_iss`: whether the issuer sends ``iss`` with every
  authorization answer (RFC 9207);
- :meth:`~RelyingParty.end_session_url`: RP-initiated logout, where the issuer offers it.

Only the ID token is kept from the token answer; the issuer's access and refresh tokens
are dropped at once (the gateway never calls the issuer on the user's behalf).
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

import aiohttp
from authlib.common.urls import add_params_to_uri  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from gateway.auth.authenticator import CHALLENGE
from gateway.auth.tokens import LEEWAY_S, OIDC_ALGORITHMS, Jwks
from gateway.web.errors import ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)

_MISCONFIGURED: Final = frozenset(
    {"invalid_client", "unauthorized_client", "unsupported_grant_type"}
)
"""Token endpoint errors that say the gateway's client is set up wrong, not the user."""
_TEXT: Final = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")
"""What RFC 6749 does not allow in ``error`` and ``error_description`` (section 5.2)."""
_CHALLENGE: Final = {"WWW-Authenticate": CHALLENGE}


def provider_text(value: object, limit: int = 200) -> str:
    """An ``error`` or ``error_description`` of the issuer, fit to quote in a problem."""
    return _TEXT.sub("", str(value))[:limit]


class RelyingParty:
    """Logs browsers in through the ``[auth.oidc]`` issuer."""

    def __init__(self, jwks: Jwks, clock: Callable[[], float] = time.time) -> None:
        self.config = jwks.config
        self.jwks = jwks
        self.metadata = jwks.metadata
        self.clock = clock
        """The wall clock the ID token's ``exp`` and ``iat`` are checked against (the
        state store's, in the gateway)."""

    def __repr__(self) -> str:
        return f"RelyingParty(issuer={self.config.issuer!r}, client_id={self.config.client_id!r})"

    async def authorization_url(
        self, redirect_uri: str, state: str, nonce: str, verifier: str
    ) -> str:
        """The issuer's authorization endpoint with this login's parameters."""
        endpoint = await self._required("authorization_endpoint")
        params = [
            ("response_type", "code"),
            ("client_id", self.config.client_id),
            ("redirect_uri", redirect_uri),
            ("scope", " ".join(self.config.scopes)),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", str(create_s256_code_challenge(verifier))),
            ("code_challenge_method", "S256"),
        ]
        return str(add_params_to_uri(endpoint, params))

    async def promises_iss(self) -> bool:
        """Whether the issuer's document says it names itself (``iss``) in every
        authorization answer (RFC 9207 section 3)."""
        document = await self.metadata.document()
        return document.get("authorization_response_iss_parameter_supported") is True

    async def redeem(self, code: str, redirect_uri: str, verifier: str) -> str:
        """The ID token the token endpoint gives for ``code``; 401 when it gives none."""
        endpoint = await self._required("token_endpoint")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"Accept": "application/json"}
        await self._authenticate(form, headers)
        try:
            async with self.metadata.http().post(endpoint, data=form, headers=headers) as answer:
                status = answer.status
                data = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("sso: the token endpoint failed (%s)", type(exc).__name__)
            raise ServiceUnavailable(
                "the identity provider's token endpoint could not be reached; log in again shortly"
            ) from exc
        if not isinstance(data, dict):
            data = {}
        if status >= 500:
            raise ServiceUnavailable(
                f"the identity provider failed to redeem the login (it answered {status}); "
                "log in again shortly"
            )
        if status >= 400 or not isinstance(data.get("id_token"), str):
            error = provider_text(data.get("error", "no ID token"), 64)
            if error in _MISCONFIGURED:
                raise ServiceUnavailable(
                    f"the identity provider refused the gateway's client ({error}); "
                    "an administrator must check auth.oidc.client_id and client_secret"
                )
            raise Unauthorized(
                f"the identity provider refused the login's code ({error})", headers=_CHALLENGE
            )
        return str(data["id_token"])

    async def _authenticate(self, form: dict[str, str], headers: dict[str, str]) -> None:
        """The client authentication the issuer's document offers (RFC 6749 section 2.3.1)."""
        secret = self.config.client_secret.reveal()
        client_id = self.config.client_id
        if not secret:
            form["client_id"] = client_id
            return
        offered = (await self.metadata.document()).get("token_endpoint_auth_methods_supported")
        methods = offered if isinstance(offered, list) else ["client_secret_basic"]
        if "client_secret_basic" not in methods and "client_secret_post" in methods:
            form.update(client_id=client_id, client_secret=secret)
            return
        # Both parts form-encoded first, as section 2.3.1 asks.
        pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()

    async def id_token_claims(self, token: str, nonce: str) -> dict[str, Any]:
        """The claims of ``token`` once it holds for this login; 401 otherwise."""
        keys = await self.jwks.keys()
        try:
            return self._checked(token, keys, nonce)
        except InvalidKeyIdError:
            pass  # the issuer may have rotated its keys: fetch them again, once
        keys = await self.jwks.keys(refresh=True)
        try:
            return self._checked(token, keys, nonce)
        except InvalidKeyIdError:
            raise _refused("it is signed with an unknown key") from None

    def _checked(self, token: str, keys: KeySet, nonce: str) -> dict[str, Any]:
        client_id = self.config.client_id
        try:
            decoded = jwt.decode(token, keys, algorithms=list(OIDC_ALGORITHMS))
            jwt.JWTClaimsRegistry(
                now=int(self.clock()),
                leeway=LEEWAY_S,
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": client_id},
                exp={"essential": True},
                iat={"essential": True},
                sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except InvalidKeyIdError:
            raise
        except ExpiredTokenError:
            raise _refused("it has expired; check the clocks of gateway and provider") from None
        except (JoseError, ValueError, TypeError) as exc:
            reason = getattr(exc, "description", "") or getattr(exc, "error", "") or "invalid"
            raise _refused(str(reason)) from None
        claims = dict(decoded.claims)
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
            # OpenID Connect Core 3.1.3.7: a token for several parties names who it is
            # for, and a token that names whom it is for must name the gateway.
            raise _refused("azp")
        return claims

    async def end_session_url(self, id_token: str | None, after: str) -> str | None:
        """Where the browser ends its session at the issuer; None when it offers no way."""
        try:
            endpoint = await self.metadata.endpoint("end_session_endpoint")
        except ServiceUnavailable:
            return None  # the gateway session is over anyway; the issuer's stays
        if endpoint is None:
            return None
        params = [("client_id", self.config.client_id), ("post_logout_redirect_uri", after)]
        if id_token:
            params.append(("id_token_hint", id_token))
        return str(add_params_to_uri(endpoint, params))

    async def _required(self, name: str) -> str:
        found = await self.metadata.endpoint(name)
        if found is None:
            raise ServiceUnavailable(f"the identity provider names no {name}; log in otherwise")
        return found


def _refused(reason: str) -> Unauthorized:
    return Unauthorized(
        f"the identity provider's ID token was refused ({reason})", headers=_CHALLENGE
    )
