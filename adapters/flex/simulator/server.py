"""A simulator of the Dalet Flex MAM REST API under ``/api``, served by aiohttp.

The contract as the recorded answers of a real Flex (``Financial-Times/mio-config``'s
cassette) and the working Flex clients (``flex-python-sdk``, ``flex-toolbox``) show it,
the vendor reference where they say nothing (``docs/backends/flex.md`` names the source
of each point):

- HTTP Basic authentication on every request; without valid credentials 401 with
  ``WWW-Authenticate: Basic`` and ``{"errors": {"error": "..."}}``.
- Request bodies in ``application/vnd.nativ.mio.v1+json`` (metadata also takes
  ``application/vnd.nativ.mio.v1+xml``); anything else is refused with 415. Answers are
  labelled ``application/json``; Flex's errors are ``{"errors": {"error": "<message>"}}``,
  and a refused action comes as 200 with that body (:mod:`.actions`).
- Nothing lives at ``/api`` itself: like any path no resource takes, it is the web
  container's HTML 404 page. An unknown plural (``/api/nothing``) is Flex's own JSON 404
  ("No object type found for plural name: nothing").
- Lists page and filter with matrix parameters (``;offset``, ``;limit`` up to 100 (more
  is cut to 100), ``;name``, ``;exactNameMatch``, ``;enabled``, ``;deleted``, ``;sortBy``,
  ``;sort``, ``;id=..;id=..``, ``;fql``, see :mod:`adapters.flex.simulator.query`) and answer
  ``{"<plural>": [...], "totalCount", "offset", "limit"}``. Collections and their items
  page with ``?offset&limit`` and count with ``totalResults`` (:mod:`.asset_collections`).
- Objects carry the common fields (id, uuid, name, displayName, description,
  externalIds, enabled, deleted, href, created, lastModified, owner, createdBy, account,
  visibility, objectType {id, name, href, displayName, pluralName}); collections their
  own. A create answers 201 with ``Location``.

Routes (under ``/api``)::

    /assets                                   GET list, POST placeholder
    /assets/{id}                              GET, PUT
    /assets/{id}/metadata                     GET (JSON), PUT (JSON, or XML)
    /assets/{id}/annotations[/{aid}]          GET, POST (one or an array) / PUT, DELETE
    /assets/{id}/keyframes[/{kid}[/image]]    GET, POST / GET, PUT, DELETE / GET (PNG)
    /assets/{id}/actions                      GET available, POST {"action"}
    /assets/{id}/members[/{mid}]              group's child memberships (by index)
    /assets/{id}/memberships[/{mid}]          the asset's parent group memberships
    /assets/{id}/children, /parent            child file assets, parent file asset
    /assets/{id}/comments[/{cid}], /history, /references, /externalIds
    /collections[/{uuid}[/items]]             uuid ids; paged by ?offset&limit
    /accounts, /users, /actions, /events, /eventHandlers, /groups, /objectTypes,
    /metadataDefinitions [/{id}]              lists and single objects
    /actions|/groups|/eventHandlers/{id}/actions, /groups/{id}/members, /files/{name}

Each instance seeds its own state (:mod:`adapters.flex.simulator.seed`).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final

from aiohttp import web

from adapters.flex.simulator import (
    actions,
    asset_collections,
    assets,
    catalog,
    keyframes,
    members,
    metadata,
    notes,
)
from adapters.flex.simulator.plumbing import (
    MEDIA_TYPE,
    XML_MEDIA_TYPE,
    Call,
    FlexError,
    Router,
    authenticate,
    parse_path,
)
from adapters.flex.simulator.seed import seed_state
from adapters.flex.simulator.state import CONFIG, STATE, SimConfig
from gateway.spi import BackendConfig, Secret, Simulator

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_USER", "MEDIA_TYPE", "FlexSimulator"]

DEFAULT_USER: Final = "flexadmin"
DEFAULT_PASSWORD: Final = "flex-demo-password"
ROUTER: Final = web.AppKey("flex_router", Router)


class FlexSimulator(Simulator):
    """The Flex MAM API with in-memory state.

    ``users`` maps each accepted user name to its password (default: the demonstration
    user ``flexadmin``); ``extra_assets`` adds that many video clips to the seed for
    long lists. ``refusal_status`` is the status of a refused action: 200 with an
    ``errors`` body, as Flex has answered it, or 400, as the vendor reference documents
    errors. :attr:`refusals` counts requests refused for their credentials. Fault options
    (``latency_s``, ``fail_status``, ``drop_connections``) go to
    :class:`~gateway.spi.simulator.Simulator`.
    """

    kind: ClassVar[str] = "flex"

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        extra_assets: int = 0,
        refusal_status: int = 200,
        **faults: Any,
    ) -> None:
        super().__init__(**faults)
        accepted = dict(users) if users is not None else {DEFAULT_USER: DEFAULT_PASSWORD}
        self.config = SimConfig(users=accepted, refusal_status=refusal_status)
        self.extra_assets = extra_assets

    @property
    def refusals(self) -> int:
        """Requests answered 401 for missing or wrong credentials."""
        return self.config.counters.refusals

    def failure_response(self, status: int) -> web.StreamResponse:
        """Simulated failures in Flex's error shape."""
        return FlexError(status, f"Simulated failure {status}").response()

    def build_app(self) -> web.Application:
        """A fresh application with freshly seeded state."""
        app = web.Application()
        app[CONFIG] = self.config
        app[STATE] = seed_state(self.config.users, self.extra_assets)
        app[ROUTER] = build_router()
        app.router.add_route("*", "/api{tail:.*}", dispatch)
        return app

    @classmethod
    def for_backend(cls, backend: BackendConfig) -> FlexSimulator:
        """A simulator that accepts the service's user and every gateway user's own.

        Each login is a Flex user of its configured name, so what a gateway user creates
        shows that name as its ``owner`` and ``createdBy``. The first login named (the
        service's, when there is one) owns the seeded objects.
        """
        logins: dict[str, str] = {}
        for table in (backend.options, *backend.users.values()):
            name, password = table.get("username"), table.get("password")
            if isinstance(name, str) and isinstance(password, Secret):
                logins.setdefault(name, password.reveal())
        return cls(users=logins)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """``--user NAME=PASSWORD`` (repeatable), ``--extra-assets N``, ``--latency``."""
        super().add_arguments(parser)
        parser.add_argument(
            "--user",
            action="append",
            default=[],
            metavar="NAME=PASSWORD",
            help="accept this user (repeatable); replaces the demonstration user",
        )
        parser.add_argument(
            "--extra-assets", type=int, default=0, metavar="N", help="add N video clips"
        )

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> FlexSimulator:
        """A simulator for the command line's options."""
        raw: list[str] = list(getattr(args, "user", []) or [])
        users = dict(_user(u) for u in raw) or None
        return cls(
            users=users,
            extra_assets=int(getattr(args, "extra_assets", 0) or 0),
            latency_s=float(getattr(args, "latency", 0.0) or 0.0),
        )


def _user(raw: str) -> tuple[str, str]:
    name, sep, password = raw.partition("=")
    if not sep or not name:
        raise SystemExit(f"--user takes NAME=PASSWORD, got {raw!r}")
    return name, password


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Every ``/api`` request: parse the matrix path, authenticate, route, answer errors."""
    parsed = parse_path(request.raw_path)
    try:
        if parsed is None:  # /apifoo: the container's, not Flex's
            raise FlexError(404, f"Could not find resource for {request.path}", page=True)
        segments, matrix = parsed
        try:
            user = authenticate(request, request.app[CONFIG].users)
        except FlexError:
            request.app[CONFIG].counters.refusals += 1
            raise
        handler, params = request.app[ROUTER].resolve(request.method, segments, str(request.url))
        call = Call(request, str(request.url.origin()), user, params, matrix)
        if request.body_exists:  # the container refuses a body no resource consumes first
            call.check_type(MEDIA_TYPE, XML_MEDIA_TYPE)
        return await handler(call)
    except FlexError as exc:
        return exc.response()


def _routes(router: Router, prefix: str, entries: Iterable[tuple[str, Any]]) -> None:
    for method, handler in entries:
        router.add(method, prefix, handler)


def build_router() -> Router:
    """The route table of the API."""
    r = Router()
    a = "assets/{id}"
    _routes(r, "assets", [("GET", assets.list_assets), ("POST", assets.create)])
    _routes(r, a, [("GET", assets.show), ("PUT", assets.update)])
    _routes(r, a + "/metadata", [("GET", metadata.show), ("PUT", metadata.update)])
    _routes(
        r,
        a + "/annotations",
        [("GET", notes.list_annotations), ("POST", notes.create_annotations)],
    )
    _routes(
        r,
        a + "/annotations/{annotation_id}",
        [("PUT", notes.update_annotation), ("DELETE", notes.delete_annotation)],
    )
    _routes(
        r,
        a + "/keyframes",
        [("GET", keyframes.list_keyframes), ("POST", keyframes.create_keyframe)],
    )
    one_keyframe = a + "/keyframes/{keyframe_id}"
    _routes(
        r,
        one_keyframe,
        [
            ("GET", keyframes.show_keyframe),
            ("PUT", keyframes.update_keyframe),
            ("DELETE", keyframes.delete_keyframe),
        ],
    )
    r.add("GET", one_keyframe + "/image", keyframes.image)
    for view, listing, create, (show, move, delete) in (
        (
            "members",
            members.list_members,
            members.create_member,
            (members.show_member, members.move_member, members.delete_member),
        ),
        (
            "memberships",
            members.list_memberships,
            members.create_membership,
            (members.show_membership, members.move_membership, members.delete_membership),
        ),
    ):
        _routes(r, f"{a}/{view}", [("GET", listing), ("POST", create)])
        _routes(
            r, f"{a}/{view}/{{membership_id}}", [("GET", show), ("PUT", move), ("DELETE", delete)]
        )
    r.add("GET", a + "/children", assets.children)
    r.add("GET", a + "/parent", assets.parent)
    r.add("GET", a + "/references", assets.references)
    _routes(r, a + "/comments", [("GET", notes.list_comments), ("POST", notes.create_comment)])
    r.add("GET", a + "/comments/{comment_id}", notes.show_comment)
    r.add("GET", a + "/history", notes.history)
    _routes(
        r,
        a + "/externalIds",
        [("GET", notes.list_external_ids), ("POST", notes.create_external_id)],
    )
    _routes(
        r,
        "collections",
        [("GET", asset_collections.list_collections), ("POST", asset_collections.create)],
    )
    _routes(
        r,
        "collections/{id}",
        [
            ("GET", asset_collections.show),
            ("PUT", asset_collections.update),
            ("DELETE", asset_collections.delete),
        ],
    )
    _routes(
        r,
        "collections/{id}/items",
        [
            ("GET", asset_collections.items),
            ("PUT", asset_collections.add_items),
            ("DELETE", asset_collections.remove_items),
        ],
    )
    for plural in (
        "accounts",
        "users",
        "actions",
        "events",
        "eventHandlers",
        "groups",
        "objectTypes",
        "metadataDefinitions",
    ):
        listing, one = catalog.family(plural)
        r.add("GET", plural, listing)
        r.add("GET", plural + "/{id}", one)
    for plural in actions.KINDS:
        list_actions, perform = actions.handlers(plural)
        _routes(r, plural + "/{id}/actions", [("GET", list_actions), ("POST", perform)])
    r.add("POST", "events", catalog.create_event)
    r.add("DELETE", "eventHandlers/{id}", catalog.soft_delete("eventHandlers"))
    r.add("POST", "groups", catalog.create_group)
    r.add("PUT", "groups/{id}", catalog.update_group)
    r.add("DELETE", "groups/{id}", catalog.soft_delete("groups"))
    _routes(
        r,
        "groups/{id}/members",
        [("GET", catalog.group_members), ("PUT", catalog.set_group_members)],
    )
    r.add("GET", "files/{name}", catalog.file)
    return r
