"""The ``[auth.oidc]`` table: an external OpenID Connect issuer.

Its bearer tokens are accepted when ``audience`` is set, and browsers log in through it
(single sign-on) when ``client_id`` is set::

    [auth.oidc]         issuer, audience, jwks_url, roles_claim, username_claim, jwks_ttl_s,
                        client_id, client_secret, scopes, post_logout_redirect_url
    [auth.oidc.user_roles]  <user name> = [roles]
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from gateway.config.roles import some_roles
from gateway.config.schema import Field, Secret, http_url, read_table


def secure_url(value: Any) -> str | None:
    """Config check: an https URL, or plain http on loopback only."""
    problem = http_url(value)
    if problem is not None:
        return problem
    parts = urlsplit(value)
    if parts.scheme == "https":
        return None
    try:
        loopback = ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        loopback = parts.hostname == "localhost"
    # Over plain http anybody on the way could hand over keys and forge every token.
    return None if loopback else "must be https (plain http only on loopback)"


def _optional_secure_url(value: Any) -> str | None:
    return secure_url(value) if value else None


def _scopes(value: Any) -> str | None:
    return None if "openid" in value else "must include openid"


OIDC_FIELDS: Final = (
    Field("issuer", str, "The issuer's iss value.", required=True),
    Field(
        "audience",
        str,
        "The aud bearer tokens must carry; empty: only single sign-on, no bearer tokens.",
        default="",
    ),
    Field(
        "jwks_url",
        str,
        "Where the issuer publishes its keys; empty: from its discovery document.",
        default="",
        check=_optional_secure_url,
    ),
    Field(
        "roles_claim",
        str,
        "Claim holding the gateway roles; dots reach into objects (realm_access.roles).",
        default="roles",
    ),
    Field("username_claim", str, "Claim naming the user.", default="sub"),
    Field(
        "jwks_ttl_s",
        int,
        "How long fetched keys (and the discovery document) are trusted.",
        default=3600,
        minimum=1,
    ),
    Field(
        "client_id", str, "The gateway's client id at the issuer; set: single sign-on.", default=""
    ),
    Field(
        "client_secret",
        str,
        "The gateway's client secret at the issuer; empty: a public client (PKCE alone).",
        default="",
        secret=True,
    ),
    Field(
        "scopes",
        list,
        "Scopes single sign-on asks for.",
        default=("openid", "profile", "email"),
        check=_scopes,
    ),
    Field(
        "post_logout_redirect_url",
        str,
        "Where the issuer sends the browser after logging out; empty: the gateway's root.",
        default="",
        # A plain http page after logout could be swapped on the way for a look-alike login.
        check=_optional_secure_url,
    ),
)


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """The ``[auth.oidc]`` table."""

    issuer: str
    audience: str = ""
    jwks_url: str = ""
    roles_claim: str = "roles"
    username_claim: str = "sub"
    jwks_ttl_s: int = 3600
    client_id: str = ""
    client_secret: Secret = field(default_factory=lambda: Secret(""))
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    post_logout_redirect_url: str = ""
    user_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Gateway roles per user name (as ``username_claim`` gives it), beside the claim's."""

    @property
    def sso(self) -> bool:
        """Whether browsers may log in through the issuer (a client id is configured)."""
        return bool(self.client_id)


_MUTABLE_NAMES: Final = frozenset({"preferred_username", "upn"})
"""Claims that name a person readably, and may change or pass to somebody else later."""
_STABLE_NAMES: Final = '"sub" (Keycloak, Google) or "oid" (Microsoft Entra ID)'


def oidc_warnings(oidc: OidcConfig) -> list[str]:
    """What is valid in ``[auth.oidc]`` but risky: a ``username_claim`` a person may change.

    ``user_roles`` and per-user upstream credentials follow the name: a name that can be
    changed, or handed to somebody else later, hands over their roles with it.
    """
    claim = oidc.username_claim
    if claim in _MUTABLE_NAMES:
        return [
            f"auth.oidc.username_claim = {claim!r}: the provider may let it change or give "
            "it to another person later, who would get the roles and credentials "
            f"configured for the name; prefer {_STABLE_NAMES}"
        ]
    if claim == "email":
        return [
            'auth.oidc.username_claim = "email" is only accepted when email_verified is '
            "true, and an address can still pass to another person later; prefer "
            f"{_STABLE_NAMES}"
        ]
    return []


def parse_oidc(
    table: Mapping[str, Any], problems: list[str], env: Mapping[str, str] | None
) -> OidcConfig:
    """Check ``[auth.oidc]``: bearer tokens need an audience, discovery and SSO a URL issuer."""
    own = {k: v for k, v in table.items() if k != "user_roles"}
    values = read_table(own, OIDC_FIELDS, "auth.oidc", problems, env=env)
    values["client_secret"] = values["client_secret"] or Secret("")
    user_roles = table.get("user_roles", {})
    if not isinstance(user_roles, Mapping):
        problems.append("auth.oidc.user_roles: must be a table of user name = [roles]")
        user_roles = {}
    mapped: dict[str, frozenset[str]] = {}
    for name, roles in user_roles.items():
        valid = isinstance(roles, list) and all(isinstance(r, str) for r in roles)
        problem = some_roles(roles) if valid else "must be a list of roles"
        if problem:
            problems.append(f"auth.oidc.user_roles.{name}: {problem}")
        else:
            mapped[name] = frozenset(roles)
    oidc = OidcConfig(**values, user_roles=mapped)
    if not oidc.audience and not oidc.sso:
        problems.append("auth.oidc.audience: required unless client_id is set (single sign-on)")
    if (oidc.sso or not oidc.jwks_url) and secure_url(oidc.issuer):
        # The discovery document is fetched from <issuer>/.well-known/openid-configuration.
        needs = "client_id is set" if oidc.sso else "jwks_url is empty"
        problems.append(f"auth.oidc.issuer: {secure_url(oidc.issuer)} when {needs}")
    return oidc
