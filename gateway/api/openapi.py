"""``GET /openapi.json``: an OpenAPI 3.1 description of the routes this gateway serves.

The document is made from the route table (:data:`gateway.web.routing.ROUTE_META`),
once per application, on its first request: every route the gateway serves for its
configured backends, with its path and query parameters, the body types it takes, the
types it answers with, who may call it, and every status it can answer with. Statuses
come from what the route is: the refusals that can reach any request (:data:`_EVERY_ROUTE`),
the access rules for those that need a login, 406 where ``Accept`` is negotiated, 413
where a body is taken, the upstream's mapped statuses for routes that call upstreams,
and what the route declares of its own handler (``Route.answers``, ``Route.errors``).
Every error is a problem document (:mod:`gateway.web.problem`), described once per
status.

HEAD is answered wherever GET is, with the headers alone; it is not listed apart. The
``servers`` entry and the token URL are the public base URL of each request.

The document is public, but a backend's routes are listed only to callers who may use
that backend: to anybody else the backend does not exist (404), and its name must not
show here either. One document is kept per set of visible backends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from aiohttp import web

from gateway.api.problem_docs import problem_types
from gateway.api.registry import package_version
from gateway.auth.access import caller, visible
from gateway.auth.identity import SAFE_METHODS
from gateway.auth.sessions import CSRF_HEADER
from gateway.backends.runtime import BACKENDS
from gateway.caching.middleware import CONDITIONAL_WRITES, is_json
from gateway.config.loading import CONFIG
from gateway.config.roles import ROLES
from gateway.web import hal, halforms, problem, statuses
from gateway.web.middlewares import BODY_METHODS
from gateway.web.negotiation import choose
from gateway.web.routing import (
    ROUTE_META,
    UPSTREAM_ERRORS,
    QueryParam,
    Route,
    RouteMeta,
    add_route,
)
from gateway.web.urls import public_base

PATH: Final = "/openapi.json"
MEDIA_TYPES: Final = ("application/json", "application/vnd.oai.openapi+json")
OPENAPI_VERSION: Final = "3.1.0"

_PLACEHOLDER: Final = re.compile(r"\{(?P<name>[_a-zA-Z][_a-zA-Z0-9]*)(?::(?P<regex>[^{}]+))?\}")
"""A path placeholder as aiohttp reads it: ``{name}`` or ``{name:regex}``."""
_DEFAULT_SEGMENT: Final = "[^{}/]+"
"""What aiohttp matches for ``{name}``: one path segment."""

_EVERY_ROUTE: Final = frozenset({400, 408, 414, 415, 429, 500, 503})
"""Statuses any request can get before or beside its handler: a ``Host`` not allowed or
a malformed request (400), a request sent too slowly (408), an over-long URI (414), a
``Content-Encoding`` (415), a logged-in caller over its rate (429), a bug (500), the
connection cap (503)."""
_LOGIN: Final = frozenset({401, 403})
"""No or a bad login; roles, or a session request without its CSRF token."""

_BODILESS: Final = frozenset({204, 303, 304, 307})
_BINARY: Final = {"type": "string", "contentMediaType": "application/octet-stream"}


class _Cache:
    """The documents of one application, one per set of visible backends, made on first use."""

    def __init__(self) -> None:
        self.documents: dict[frozenset[str], dict[str, Any]] = {}


_CACHE: Final = web.AppKey("openapi_document", _Cache)


def setup(app: web.Application) -> None:
    """Add ``GET /openapi.json``."""
    app[_CACHE] = _Cache()
    add_route(
        app,
        Route(
            "GET",
            PATH,
            openapi_document,
            produces=MEDIA_TYPES,
            access="public",
            summary="This OpenAPI document",
        ),
    )


async def openapi_document(request: web.Request) -> web.Response:
    """``GET /openapi.json``: the OpenAPI 3.1 description of every route served here."""
    who = caller(request)
    shown = frozenset(b.name for b in request.app[BACKENDS] if visible(request, who, b))
    cache = request.app[_CACHE].documents
    if shown not in cache:
        cache[shown] = document(request.app, shown)
    base = public_base(request)
    doc = dict(cache[shown])
    doc["servers"] = [{"url": base}]
    components = dict(doc["components"])
    components["securitySchemes"] = _security_schemes(request.app, base)
    doc["components"] = components
    media = choose(request.headers.get("Accept"), MEDIA_TYPES) or MEDIA_TYPES[0]
    return web.json_response(doc, content_type=media)


def document(app: web.Application, backends: frozenset[str]) -> dict[str, Any]:
    """The document for ``app``'s routes, those of ``backends`` only among the backends'
    routes, without ``servers`` and security schemes."""
    paths: dict[str, dict[str, Any]] = {}
    used: set[int] = set()
    taken_ids: set[str] = set()
    for method, meta in _operations(app):
        if meta.backend is not None and meta.backend not in backends:
            continue
        path, parameters = _path(meta.path)
        operation = _operation(method, path, meta, parameters, used)
        operation["operationId"] = _unique(_operation_id(method, path), taken_ids)
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "HAL media gateway",
            "version": package_version(),
            "description": (
                "One HAL hypermedia API in front of several media systems. Resources are "
                "application/hal+json; errors are application/problem+json (RFC 9457), "
                "each with a status from the gateway's status table. HEAD is answered "
                "wherever GET is, with the headers alone."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "responses": {_problem_name(s): _problem_response(s) for s in sorted(used)},
        },
    }


def _operations(app: web.Application) -> Iterator[tuple[str, RouteMeta]]:
    """(method, metadata) of every route added with ``add_route``, HEAD left out."""
    table = app.get(ROUTE_META, {})
    for route in app.router.routes():
        meta = table.get(route)
        if meta is not None and route.method != "HEAD" and meta.path:
            yield route.method, meta


# -- one operation ------------------------------------------------------------------


def _path(declared: str) -> tuple[str, list[dict[str, Any]]]:
    """The OpenAPI path of an aiohttp path, and its path parameters."""
    parameters = []
    for found in _PLACEHOLDER.finditer(declared):
        regex = found["regex"] or _DEFAULT_SEGMENT
        parameters.append(
            {
                "name": found["name"],
                "in": "path",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "pattern": f"^(?:{regex})$"},
            }
        )
    return _PLACEHOLDER.sub(lambda m: "{" + m["name"] + "}", declared), parameters


def _operation(
    method: str,
    path: str,
    meta: RouteMeta,
    path_parameters: list[dict[str, Any]],
    used: set[int],
) -> dict[str, Any]:
    operation: dict[str, Any] = {"tags": [_tag(path, meta)]}
    if meta.summary:
        operation["summary"] = _tidy(meta.summary)
    parameters = path_parameters + [_query_parameter(q) for q in meta.query]
    revalidated = method == "GET" and any(is_json(t) for t in meta.produces)
    if revalidated:
        parameters.append(_condition("If-None-Match", "304 when the answer's ETag is listed"))
    if method in CONDITIONAL_WRITES and meta.backend is not None:
        parameters.append(_condition("If-Match", "412, nothing written, unless one is current"))
    if parameters:
        operation["parameters"] = parameters
    body = _request_body(method, meta)
    if body is not None:
        operation["requestBody"] = body
    responses: dict[str, Any] = {}
    for status in sorted({*meta.answers, *((304,) if revalidated else ())}):
        responses[str(status)] = _success(status, meta)
    for status in sorted(_error_statuses(method, meta, bool(path_parameters))):
        used.add(status)
        responses[str(status)] = {"$ref": "#/components/responses/" + _problem_name(status)}
    operation["responses"] = responses
    operation["security"] = _security(method, meta)
    return operation


def _tag(path: str, meta: RouteMeta) -> str:
    """Operations grouped by backend, or by the first segment of the gateway's own paths."""
    if meta.backend is not None:
        return meta.backend
    return path.strip("/").split("/", 1)[0].split(";", 1)[0] or "root"


def _tidy(summary: str) -> str:
    """A docstring's first line as a summary, without its leading ``GET path``, in Markdown."""
    found = re.fullmatch(r"``([A-Z]+ [^`]*)``[:,.]?\s*(.*)", summary)
    if found is not None:
        rest = found[2]
        # A line that only names the route, or its status: the route is the summary.
        summary = rest if rest.strip(" .").strip("0123456789") else found[1]
    text = summary.replace("``", "`")
    return text[:1].upper() + text[1:]


def _operation_id(method: str, path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path)
    return "_".join([method.lower(), *words]) if words else method.lower() + "_root"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _query_parameter(param: QueryParam) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": param.type}
    if param.minimum is not None:
        schema["minimum"] = param.minimum
    if param.maximum is not None:
        schema["maximum"] = param.maximum
    if param.enum:
        schema["enum"] = list(param.enum)
    out: dict[str, Any] = {"name": param.name, "in": "query", "schema": schema}
    if param.description:
        out["description"] = param.description
    if param.required:
        out["required"] = True
    return out


def _request_body(method: str, meta: RouteMeta) -> dict[str, Any] | None:
    """The body an operation takes: its types from ``consumes``, any type when streamed."""
    if method not in BODY_METHODS:
        return None
    if meta.consumes is None:
        if not meta.stream:
            return None  # the handler reads no body
        return {"required": True, "content": {"*/*": {"schema": _BINARY}}}
    content = {media: {"schema": _body_schema(media, meta.stream)} for media in meta.consumes}
    return {"required": True, "content": content}


def _body_schema(media: str, stream: bool) -> dict[str, Any]:
    if media.endswith("json"):
        return {"type": "object"}
    if media == "application/x-www-form-urlencoded":
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if media == "multipart/form-data":
        return {"type": "object", "properties": {"file": _BINARY}}
    if stream:
        return {"type": "string", "contentMediaType": media}
    return {"type": "string"}


def _success(status: int, meta: RouteMeta) -> dict[str, Any]:
    description = statuses.row(status).condition
    response: dict[str, Any] = {"description": description}
    if status == 201 or (300 <= status < 400 and status != 304):
        response["headers"] = {
            "Location": {
                "description": "the created resource" if status == 201 else "where to go",
                "schema": {"type": "string", "format": "uri"},
            }
        }
    if status in _BODILESS:
        return response
    if meta.produces:
        response["content"] = {
            media: {"schema": _answer_schema(media, meta)} for media in meta.produces
        }
    else:  # relayed in the type it was stored as
        response["content"] = {"*/*": {"schema": {}}}
    return response


def _answer_schema(media: str, meta: RouteMeta) -> dict[str, Any]:
    # Routes that answer HAL answer the same document as application/json, and as HAL-FORMS
    # (with _templates).
    hal_alike = (halforms.MEDIA_TYPE, "application/json")
    if media == hal.MEDIA_TYPE or (media in hal_alike and hal.MEDIA_TYPE in meta.produces):
        return {"$ref": "#/components/schemas/HalDocument"}
    if media.endswith("json"):
        return {"type": "object"}
    return {"type": "string"}


def _error_statuses(method: str, meta: RouteMeta, has_path_parameters: bool) -> set[int]:
    """Every error status the operation can answer with (see the module's docstring)."""
    found = set(_EVERY_ROUTE) | set(meta.errors)
    if meta.access != "public":
        found |= _LOGIN
    if meta.produces:
        found.add(406)
    if method in BODY_METHODS:
        found.add(413)
        if meta.access != "public" and method == "POST":
            found.add(409)  # an Idempotency-Key whose request differs, or is still running
    if has_path_parameters:
        found.add(404)  # no such resource, or an id "." or ".."
    if meta.backend is not None:
        found |= {404, *UPSTREAM_ERRORS}  # a backend the caller may not use is not there
        if method in CONDITIONAL_WRITES:
            found.add(412)  # If-Match not current (gateway.caching.middleware)
    return found & statuses.ERROR_STATUSES


def _condition(name: str, description: str) -> dict[str, Any]:
    """A conditional request header (RFC 9110, section 13.1): a list of entity tags."""
    return {"name": name, "in": "header", "description": description, "schema": {"type": "string"}}


def _security(method: str, meta: RouteMeta) -> list[dict[str, list[str]]]:
    """Public routes need nothing; others a bearer token, or the session and, to change
    something, its CSRF token."""
    if meta.access == "public":
        return []
    scopes = ["admin"] if meta.access == "admin" else []
    session: dict[str, list[str]] = {"session": []}
    if method not in SAFE_METHODS:
        session["csrf"] = []
    return [{"bearer": []}, {"oauth2": scopes}, session]


# -- components ---------------------------------------------------------------------


def _problem_name(status: int) -> str:
    return f"Problem{status}"


def _problem_response(status: int) -> dict[str, Any]:
    row = statuses.row(status)
    response: dict[str, Any] = {
        "description": row.condition,
        "content": {
            problem.MEDIA_TYPE: {
                "schema": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Problem"},
                        {
                            "properties": {
                                "status": {"const": status},
                                "title": {"const": row.condition},
                            }
                        },
                    ]
                }
            }
        },
    }
    if status in (409, 429, 503):
        response["headers"] = {
            "Retry-After": {
                "description": "seconds to wait before trying again",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    return response


def _problem_members() -> dict[str, Any]:
    """The members of problem documents, RFC 9457's and the gateway's extensions."""
    return {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": "a page that explains the code",
        },
        "title": {"type": "string", "description": "the status table's condition"},
        "status": {"type": "integer", "enum": sorted(statuses.ERROR_STATUSES)},
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": sorted(problem_types())},
        "transient": {
            "type": "boolean",
            "description": "whether the same request may be sent again as it is",
        },
        "incident": {"type": "string", "description": "the request id (X-Request-Id)"},
        "backend": {"type": "string", "description": "the backend that failed"},
        "upstream_status": {"type": ["integer", "null"]},
        "upstream_code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the upstream's own messages, secrets masked",
        },
        "retry_after_s": {"type": "integer", "minimum": 0},
        "error": {
            "type": "string",
            "description": "RFC 6749 error code (token and revocation endpoints)",
            "enum": [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_scope",
                "unsupported_token_type",
            ],
        },
        "error_description": {"type": "string"},
        "checked_at": {
            "type": ["number", "null"],
            "description": "when the backend was last probed (epoch seconds)",
        },
        "backends": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/BackendProblem"},
            "description": "one problem per backend that failed",
        },
    }


def _schemas() -> dict[str, Any]:
    members = _problem_members()
    link = {
        "type": "object",
        "required": ["href"],
        "properties": {
            "href": {"type": "string"},
            "templated": {"type": "boolean"},
            "title": {"type": "string"},
            "name": {"type": "string"},
            "type": {"type": "string"},
        },
    }
    links = {
        "type": "object",
        "additionalProperties": {
            "anyOf": [
                {"$ref": "#/components/schemas/Link"},
                {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
            ]
        },
    }
    embedded = {
        "type": "object",
        "additionalProperties": {
            "anyOf": [
                {"$ref": "#/components/schemas/HalResource"},
                {"type": "array", "items": {"$ref": "#/components/schemas/HalResource"}},
            ]
        },
    }
    return {
        "Problem": {
            "type": "object",
            "description": "An error (RFC 9457), with the gateway's extension members.",
            "required": ["type", "title", "status", "detail", "code", "transient", "incident"],
            "properties": members,
        },
        "BackendProblem": {
            "type": "object",
            "description": "What one backend of a unified list or a readiness check failed with.",
            "required": ["status", "code", "detail"],
            "properties": members,
        },
        "Link": link,
        "HalResource": {
            "type": "object",
            "description": "A HAL resource (draft-kelly-json-hal).",
            "properties": {"_links": links, "_embedded": embedded},
        },
        "HalDocument": {
            "type": "object",
            "description": "A HAL document: its links, and maybe embedded resources; as "
            "HAL-FORMS, the templates of the writes the caller may make.",
            "required": ["_links"],
            "properties": {
                "_links": links,
                "_embedded": embedded,
                "_templates": {"type": "object", "additionalProperties": {"type": "object"}},
            },
        },
    }


def _security_schemes(app: web.Application, base: str) -> dict[str, Any]:
    config = app[CONFIG]
    scopes = {role: f"act as a {role}" for role in ROLES}
    token_url = base + "/auth/token"
    schemes: dict[str, Any] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "an access token of /auth/token"
            + (", or of the OpenID Connect issuer" if config.auth.oidc else ""),
        },
        "oauth2": {
            "type": "oauth2",
            "description": "the gateway's token endpoint (RFC 6749)",
            "flows": {
                "password": {"tokenUrl": token_url, "scopes": scopes},
                "clientCredentials": {"tokenUrl": token_url, "scopes": scopes},
                "authorizationCode": {
                    "authorizationUrl": base + "/auth/authorize",
                    "tokenUrl": token_url,
                    "refreshUrl": token_url,
                    "scopes": scopes,
                },
            },
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": config.session.cookie_name,
            "description": "the session cookie POST /auth/login sets",
        },
        "csrf": {
            "type": "apiKey",
            "in": "header",
            "name": CSRF_HEADER,
            "description": "the session's CSRF token (in the login answer and /auth/me)",
        },
    }
    return schemes
