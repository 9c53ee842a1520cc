"""Link relation documentation: the gateway's own relations as data, served as pages.

``GET /rels/{rel}`` documents a ``gw:`` relation; ``GET /rels/{prefix}/{rel}`` one of
another CURIE prefix (``registry`` and each adapter kind's). A page is JSON unless the
client prefers HTML (a browser does; ``*/*`` does not), and says ``Vary: Accept``.

A kind's page is one for every backend of that kind: its href is a template over the
backend's name (:data:`~gateway.spi.relations.BACKEND_ROOT`), so it resolves on each.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable, Mapping
from typing import Final

from aiohttp import web

from gateway.spi.relations import BACKEND_ROOT, GW_PREFIX, RelationDoc, doc_path
from gateway.web import hal
from gateway.web.errors import NotFound
from gateway.web.negotiation import choose
from gateway.web.routing import Route, add_route, hal_response
from gateway.web.urls import public_base

REGISTRY_PREFIX: Final = "registry"

GATEWAY_RELATIONS: Final = (
    RelationDoc(
        "backends",
        "All backends",
        "The list of configured backends, each embedded as gw:backend with its kind and title.",
        template="/backends",
        example='{"_embedded": {"gw:backend": [{"name": "avalon", "kind": "avalon"}]}}',
    ),
    RelationDoc(
        "backend",
        "One backend's root",
        "The root of one configured backend. The link's name is the backend's config name, "
        "its title the configured title. The backend root links the backend's own resources "
        "under the CURIE prefix of its kind.",
        template="/backends/{name}",
        example='{"_links": {"self": {"href": "/backends/avalon"}}, "kind": "avalon"}',
    ),
    RelationDoc(
        "login",
        "Log in with a session cookie",
        "POST a JSON object or a form with username and password. The answer (200) describes "
        "you like gw:me, holds csrf_token and sets the session cookie. Unsafe requests "
        "authenticated by the cookie must send csrf_token in the X-CSRF-Token header. A wrong "
        "user name or password is 401; too many failures are 429 with Retry-After.",
        methods=("POST",),
        template="/auth/login",
        example='{"username": "demo", "password": "..."}',
    ),
    RelationDoc(
        "login-sso",
        "Log in through the organisation's identity provider",
        "Single sign-on (OpenID Connect), linked when the gateway is configured for it. "
        "Send the browser here (a navigation, not a script's fetch): it goes to the identity "
        "provider's login and comes back with the session cookie, then to return_to, a path "
        "on the gateway's origin (the root without it; anything else is refused with 400). "
        "The session is of kind oidc; /auth/me gives its csrf_token. A provider's refusal is "
        "401, a user the provider gives no gateway role is 403, an unreachable provider 503. "
        "The link (/auth/login/oidc{?return_to}) is there only while single sign-on is "
        "configured.",
    ),
    RelationDoc(
        "sso-logout",
        "Log out at the identity provider too",
        "Logging out of a single sign-on session also ends it at the identity provider, "
        "where it offers that: a browser's form post to gw:logout is answered 303 to the "
        "provider's logout; a script's request 204 with Link: <url>; rel=\"gw:sso-logout\", "
        "where it may send the browser. The provider sends it back to the gateway's root "
        "(or auth.oidc.post_logout_redirect_url).",
    ),
    RelationDoc(
        "token",
        "OAuth2 token endpoint",
        "RFC 6749: POST a form with grant_type=password (username, password), "
        "client_credentials (client authenticated with HTTP Basic or client_id and "
        "client_secret), authorization_code (code, redirect_uri, code_verifier: see "
        "gw:authorize) or refresh_token (refresh_token; each use gives a new one, a used one "
        "ends the grant), optionally scope (some of your roles). Answers {access_token, "
        "token_type: Bearer, expires_in, scope}, and refresh_token for the last two; send the "
        "token as Authorization: Bearer. Errors are problem documents that also carry RFC "
        "6749's error member.",
        methods=("POST",),
        template="/auth/token",
        example='{"access_token": "eyJ...", "token_type": "Bearer", "expires_in": 3600, '
        '"scope": "editor"}',
    ),
    RelationDoc(
        "authorize",
        "OAuth2 authorization endpoint",
        "RFC 6749 4.1 with PKCE (RFC 7636, S256 only): send the browser here with "
        "response_type=code, client_id, redirect_uri (registered for the client), "
        "code_challenge, code_challenge_method=S256, and optionally scope and state. A browser "
        "with a gateway session goes straight back (307) to redirect_uri with code, state and "
        "iss (RFC 9207) when the client is confidential and redirect_uri https, else after the "
        "person's word on a consent page; without a session it gets the gateway's login page "
        "first. A wrong client or "
        "redirect_uri is 400 and goes nowhere; other errors go back to redirect_uri as error "
        "and error_description. Redeem the code at gw:token within 60 seconds.",
        template="/auth/authorize{?response_type,client_id,redirect_uri,scope,state,"
        "code_challenge,code_challenge_method}",
    ),
    RelationDoc(
        "revoke",
        "OAuth2 token revocation",
        "RFC 7009: POST a form with token and optionally token_type_hint (access_token or "
        "refresh_token), the client authenticated as at gw:token (a public client sends "
        "client_id). A refresh token ends its whole grant, an access token itself. 200 also "
        "for a token the gateway does not know; 400 invalid_grant for another client's.",
        methods=("POST",),
        template="/auth/revoke",
        example="token=...&token_type_hint=refresh_token&client_id=media-app",
    ),
    RelationDoc(
        "oauth-metadata",
        "OAuth2 authorization server metadata",
        "RFC 8414: the issuer (the gateway's public base URL), its authorization, token and "
        "revocation endpoints, grant types, PKCE methods, client authentication methods and "
        "scopes (the roles), as one JSON document. OAuth client libraries configure "
        "themselves from it.",
        template="/.well-known/oauth-authorization-server",
        example='{"issuer": "https://media.example.org", "authorization_endpoint": '
        '"https://media.example.org/auth/authorize", "code_challenge_methods_supported": '
        '["S256"]}',
    ),
    RelationDoc(
        "me",
        "Who you are",
        "Your name, kind (user, client, oidc), roles and when your session or token ends; for "
        "a session, its csrf_token; per backend whether you may use it, which methods, and "
        "whether an upstream login of yours is live (live, none, not-needed).",
        template="/auth/me",
        example='{"name": "demo", "roles": ["admin"], "backends": [{"name": "avalon", '
        '"allowed": true, "upstream_login": "not-needed"}]}',
    ),
    RelationDoc(
        "logout",
        "Log out",
        "POST (with X-CSRF-Token when you use the session cookie, or a form's csrf_token "
        "field) to end your session, or to revoke the bearer token you send, and your own "
        "upstream sessions. Answers 204; a single sign-on session see gw:sso-logout.",
        methods=("POST",),
        template="/auth/logout",
    ),
    RelationDoc(
        "browser",
        "The HAL browser",
        "A page (text/html) that walks this API in a web browser: log in, follow links, fill "
        "in templated links and HAL-FORMS forms, see problems. Served by the gateway itself; "
        "a browser asking for the root is sent there.",
        template="/browser",
    ),
    RelationDoc(
        "root",
        "The gateway root",
        "The HAL root of the gateway: what you may use, from one URL.",
        template="/",
    ),
    RelationDoc(
        "assets",
        "Assets of every backend",
        "One list of the assets of every backend you may use (or of those named in backend, "
        "comma-separated), embedded as gw:asset. q filters by text: each backend kind maps it "
        "to its own search (see the README); type is video, audio, image, group or other. "
        "Order: title (case-insensitive), then id, merged across backends, each backend's own "
        "order kept. Follow next (it carries an opaque cursor) for the next page; per_page is "
        "1-100. When a backend fails or is too slow the list is still 200, with partial: true "
        "and one problem per failed backend in _embedded gw:problem. On a backend root: the "
        "same list of that backend alone, its backend fixed.",
        template="/assets{?q,backend,type,cursor,per_page}",
        example='{"count": 2, "partial": false, "_embedded": {"gw:asset": [{"id": '
        '"avalon:1g05fb83r", "title": "Interview", "type": "video"}]}}',
    ),
    RelationDoc(
        "asset",
        "One asset, by unified id",
        "One asset: id is <backend>:<native id>. Links: profile (its JSON Schema), gw:native "
        "(the backend's own resource), gw:thumbnail, gw:playback, gw:collection where the "
        "backend has them.",
        template="/assets/{id}",
    ),
    RelationDoc(
        "collections",
        "Collections of every backend",
        "One list of the collections (or folders) of every backend that has them, linked "
        "as gw:collection (name: the unified id, title: the title), ordered and paged like "
        "gw:assets.",
        template="/collections{?backend,cursor,per_page}",
    ),
    RelationDoc(
        "collection",
        "One collection",
        "A collection by <backend>:<native id>, a page of its assets embedded as gw:items, "
        "paged with page and per_page like every list (first, prev, next, last links, "
        "page.totalPages). In an asset: a collection holding it.",
        template="/collections/{id}{?page,per_page}",
    ),
    RelationDoc(
        "items",
        "Assets of a collection",
        "The assets of a collection: one page of them, embedded in the collection.",
    ),
    RelationDoc(
        "native",
        "The backend's own resource",
        "The same thing as the backend itself shows it, under /backends/<name>.",
    ),
    RelationDoc(
        "thumbnail",
        "A thumbnail",
        "An image of the asset: a gateway resource or the media server's URL.",
    ),
    RelationDoc(
        "playback",
        "Playback",
        "Where the asset plays: a stream (HLS, say) or the gateway resource that gives one.",
    ),
    RelationDoc(
        "problem",
        "A backend's problem in a partial list",
        "A problem document (status, detail, backend) for a backend that failed or did not "
        "answer in time while the others were listed.",
    ),
    RelationDoc(
        "admin",
        "Gateway administration (admins only)",
        "Who may log in (names and roles, never hashes), the session store, and how each "
        "backend is reached: its role restriction and whether it uses one service credential "
        "or per-user credentials.",
        template="/admin",
    ),
)

REGISTRY_RELATIONS: Final = (
    RelationDoc(
        "serviceroots",
        "Service roots (CTMS registry)",
        "The CTMS-style registry: 'systems' lists each backend (systemType = kind, systemID = "
        "name); 'resources' is keyed by link relation, each an array of {href, templated, "
        "systems} entries. Also served at /apis/avid.ctms.registry;version=0;realm=global/"
        "serviceroots for CTMS clients.",
        template="/serviceroots",
        example='{"systems": [], "resources": {"gw:backend": [{"href": "/backends/avalon", '
        '"templated": false, "systems": [{"systemType": "avalon", "systemID": "avalon"}]}]}}',
    ),
)

CTMS_RELATIONS: Final = {
    "aa": (
        RelationDoc(
            "assets",
            "Assets",
            "CTMS asset listing: the assets of the systems named in the registry entry. At a "
            "backend, its own assets (media objects, videos, ...) as a paged HAL list.",
        ),
        RelationDoc(
            "asset-by-id",
            "Asset by id",
            "CTMS: one asset of a system, by its id; the href is a URI template with {id}.",
        ),
    ),
    "loc": (
        RelationDoc(
            "locations",
            "Locations",
            "CTMS: the location (folder) service of a system.",
        ),
        RelationDoc(
            "root-item",
            "Root folder",
            "CTMS: the root folder of a system's folder tree, with its child items embedded.",
        ),
        RelationDoc(
            "item-by-id",
            "Folder item by id",
            "CTMS: one folder or item of a system's folder tree, by id (URI template with {id}).",
        ),
    ),
    "search": (
        RelationDoc(
            "simple-search",
            "Simple search",
            "CTMS: full-text search over a system's assets; the href is a URI template with "
            "{search} and optional offset and limit; results page with next links.",
        ),
    ),
}
"""CTMS relations the registry lists, documented by the gateway under ``/rels/<prefix>/``."""

Catalogue = Mapping[str, Mapping[str, RelationDoc]]
"""CURIE prefix → relation name → documentation."""

RELATIONS: Final = web.AppKey("relations", dict[str, dict[str, RelationDoc]])


def catalogue(extra: Mapping[str, Iterable[RelationDoc]]) -> dict[str, dict[str, RelationDoc]]:
    """The gateway's relations plus ``extra`` (prefix → docs, from the adapters).

    The adapters' templates, relative to a backend root, are put under
    :data:`~gateway.spi.relations.BACKEND_ROOT`: every template here is a path from the
    gateway root.
    """
    out: dict[str, dict[str, RelationDoc]] = {
        GW_PREFIX: {d.name: d for d in GATEWAY_RELATIONS},
        REGISTRY_PREFIX: {d.name: d for d in REGISTRY_RELATIONS},
    }
    for prefix, ctms_docs in CTMS_RELATIONS.items():
        out[prefix] = {d.name: d for d in ctms_docs}
    for prefix, docs in extra.items():
        out.setdefault(prefix, {}).update({d.name: _under_backend_root(d) for d in docs})
    return out


def _under_backend_root(doc: RelationDoc) -> RelationDoc:
    if doc.template is None:
        return doc
    return dataclasses.replace(doc, template=BACKEND_ROOT + doc.template)


def _page(prefix: str, doc: RelationDoc, base: str) -> str:
    esc = html.escape
    rows = [
        f"<tr><th>Relation</th><td><code>{esc(prefix)}:{esc(doc.name)}</code></td></tr>",
        f"<tr><th>Methods</th><td>{esc(', '.join(doc.methods))}</td></tr>",
    ]
    if doc.template:
        where = ""
        if doc.template.startswith(BACKEND_ROOT):
            where = (
                "<br>where <code>{backend}</code> is the name of a backend of this kind "
                "(the <code>name</code> of its <code>gw:backend</code> link)"
            )
        rows.append(
            f"<tr><th>Href</th><td><code>{esc(base + doc.template)}</code>{where}</td></tr>"
        )
    example = f"<h2>Example</h2><pre>{esc(doc.example)}</pre>" if doc.example else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{esc(prefix)}:{esc(doc.name)}</title></head><body>"
        f"<h1>{esc(prefix)}:{esc(doc.name)} &mdash; {esc(doc.title)}</h1>"
        f"<p>{esc(doc.description)}</p><table>{''.join(rows)}</table>{example}"
        f'<p><a href="{esc(base)}/">Gateway root</a></p></body></html>'
    )


JSON_OR_HTML: Final = (hal.MEDIA_TYPE, "application/json", "text/html")
"""JSON first: ``*/*`` (curl, fetch) gets JSON, and HTML only a client that prefers it."""


async def relation_page(request: web.Request) -> web.Response:
    """``GET /rels/{rel}`` and ``GET /rels/{prefix}/{rel}``: JSON or HTML by ``Accept``."""
    prefix = request.match_info.get("prefix", GW_PREFIX)
    name = request.match_info["rel"]
    base = public_base(request)
    doc = request.app[RELATIONS].get(prefix, {}).get(name)
    if doc is None:
        raise NotFound(f"no link relation {prefix}:{name} is documented here")
    wanted = choose(request.headers.get("Accept"), JSON_OR_HTML)
    if wanted == "text/html":
        page = web.Response(text=_page(prefix, doc, base), content_type="text/html")
        page.headers["Vary"] = "Accept"
        return page
    resource = hal.Resource(
        {
            "relation": f"{prefix}:{name}",
            "title": doc.title,
            "description": doc.description,
            "methods": list(doc.methods),
            "href": base + doc.template if doc.template else None,
            "templated": bool(doc.template and "{" in doc.template),
            "example": doc.example,
        }
    ).link("self", base + doc_path(prefix, name))
    # The caching middleware adds Authorization and Cookie for a logged-in caller.
    return hal_response(resource, headers={"Vary": "Accept"})


def setup(app: web.Application) -> None:
    """Add the relation documentation routes."""
    add_route(
        app, Route("GET", "/rels/{rel}", relation_page, produces=JSON_OR_HTML, access="public")
    )
    add_route(
        app,
        Route("GET", "/rels/{prefix}/{rel}", relation_page, produces=JSON_OR_HTML, access="public"),
    )
