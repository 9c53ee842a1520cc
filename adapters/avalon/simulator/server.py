"""A simulator of the Avalon Media System JSON API, served by aiohttp.

It behaves as the real Rails server (``avalonmediasystem/avalon``) does where that
differs from the old API document: ``Avalon-Api-Key`` tokens (unknown token 403 before
anything else, no token or no permission 401 with an empty body), api-pagination
headers (``Total``, ``Per-Page``, ``Link``), 200 for a created media object, 302 to
``/`` for every media-object deletion (a background job deletes what the key may
delete, later; the rest stays), PUT for vocabulary updates (POST is not routed),
supplemental-file content as a redirect to ActiveStorage, and string error bodies for
supplemental files carrying Ruby's backtrace. Each instance seeds its own state from
the document's examples; see :mod:`adapters.avalon.simulator.seed`.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from aiohttp import web

from adapters.avalon.simulator import admin, files, media, storage
from adapters.avalon.simulator.plumbing import avalon_middleware
from adapters.avalon.simulator.seed import seed_state
from adapters.avalon.simulator.state import CONFIG, PURGE_TASKS, STATE, SimConfig
from gateway.spi import BackendConfig, Secret, Simulator

__all__ = ["DEFAULT_ADMIN", "DEFAULT_ADMIN_KEY", "DEFAULT_USER_KEY", "AvalonSimulator"]

# The token of user "archivist" in the API document's rake examples.
DEFAULT_ADMIN_KEY = (
    "37ebd7d86d406e925ba2da4315903440b2439f671dc58c2a36dc827e454d263f"
    "dcfd0bf8ad5cea7f5dce5516f2ffe63ee02debf6881b7b466a8600d321b0a01c"
)
# A demonstration token of user "viewer", who has no administrator rights and no roles.
DEFAULT_USER_KEY = (
    "a8d73e712d9257a75bce54754e0ad3074894e29feeec1709f9e47b761dc38d7a"
    "b923a62f1b4883a19569115e8b68850cc86b27fda81a0daa5305538e4d910168"
)
DEFAULT_ADMIN = "archivist"
# Supplemental files of hundreds of megabytes pass through the gateway; the real server
# takes them too.
_MAX_UPLOAD = 1024 * 1024 * 1024


def _both(path: str) -> tuple[str, str]:
    """A route with and without the ``.json`` suffix, as Rails routes accept both."""
    return path, f"{path}.json"


class AvalonSimulator(Simulator):
    """The Avalon JSON API with in-memory state seeded from the API document.

    ``api_keys`` maps each token to a username (default: the document's token for the
    administrator "archivist" and :data:`DEFAULT_USER_KEY` for "viewer"); ``admins`` names
    the users with administrator rights. A media object whose deletion the key may
    perform stays readable for ``purge_delay_s`` seconds (the background job), or until
    :meth:`purge_now`, then answers 410 for good.

    Alternatives the real server can be configured into, all off by default:
    ``vocabulary_post`` also routes the POST the old document shows for vocabulary
    updates; ``supplemental_files_proxy`` sends a supplemental file's bytes directly
    (``supplemental_files.proxy: true``) instead of redirecting to ActiveStorage;
    ``separate_storage`` serves the bytes from a second loopback origin, as an S3 or
    MinIO service would, and records what it was sent (:attr:`storage_requests`).
    Fault options (``latency_s``, ``fail_status``, ``drop_connections``) go to
    :class:`~gateway.spi.simulator.Simulator`.
    """

    kind: ClassVar[str] = "avalon"

    def __init__(
        self,
        *,
        api_keys: Mapping[str, str] | None = None,
        admins: Iterable[str] = (DEFAULT_ADMIN,),
        purge_delay_s: float = 0.2,
        vocabulary_post: bool = False,
        supplemental_files_proxy: bool = False,
        separate_storage: bool = False,
        **faults: Any,
    ) -> None:
        super().__init__(**faults)
        self.separate_storage = separate_storage
        self._blobs = storage.BlobStore()
        self._storage: web.AppRunner | None = None
        self._app: web.Application | None = None
        keys = (
            dict(api_keys)
            if api_keys is not None
            else {DEFAULT_ADMIN_KEY: DEFAULT_ADMIN, DEFAULT_USER_KEY: "viewer"}
        )
        self.config = SimConfig(
            api_keys=keys,
            admins=frozenset(admins),
            purge_delay_s=purge_delay_s,
            vocabulary_post=vocabulary_post,
            supplemental_files_proxy=supplemental_files_proxy,
        )

    def failure_response(self, status: int) -> web.StreamResponse:
        """Simulated failures in Avalon's shape: ``{"errors": [...]}`` (401 has no body)."""
        if status == 401:
            return web.Response(status=status)
        return web.json_response({"errors": [f"simulated failure {status}"]}, status=status)

    def build_app(self) -> web.Application:
        """A fresh application with freshly seeded state."""
        app = web.Application(middlewares=[avalon_middleware], client_max_size=_MAX_UPLOAD)
        app[CONFIG] = self.config
        app[STATE] = seed_state()
        app[PURGE_TASKS] = {}
        self._blobs = storage.BlobStore()
        app[storage.BLOBS] = self._blobs
        app.on_cleanup.append(media.cancel_purges)
        _add_routes(app.router, self.config)
        self._app = app
        return app

    async def purge_now(self) -> None:
        """Run every deletion job Avalon has queued, now, as if its delay had passed."""
        if self._app is not None:
            await media.run_purges(self._app)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port``; with ``separate_storage``, the storage host as well."""
        url = await super().start(host, port)
        if self.separate_storage:
            runner = web.AppRunner(storage.storage_app(self._blobs), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, host, 0).start()
            self._storage = runner
            self._blobs.origin = f"http://{host}:{runner.addresses[0][1]}"
        return url

    async def close(self) -> None:
        """Stop serving, the storage host included."""
        if self._storage is not None:
            await self._storage.cleanup()
            self._storage = None
        await super().close()

    @property
    def storage_url(self) -> str | None:
        """The separate storage host's base URL, while it serves."""
        return self._blobs.origin if self._storage is not None else None

    @property
    def storage_requests(self) -> list[dict[str, str]]:
        """The headers of every request the separate storage host received."""
        return list(self._blobs.seen)

    @classmethod
    def for_backend(cls, backend: BackendConfig) -> AvalonSimulator:
        """A simulator that knows every configured token, each as an administrator.

        The service token belongs to the Avalon user ``archivist`` (the API document's
        example); each gateway user's own token to the Avalon user of the same name as
        the gateway user, so what they change upstream shows under their own name (a
        collection they create has them as its manager). A token configured twice
        belongs to the first user named.
        """
        keys: dict[str, str] = {}
        service = backend.options.get("api_key")
        if isinstance(service, Secret):
            keys[service.reveal()] = DEFAULT_ADMIN
        for user, credentials in backend.users.items():
            keys.setdefault(credentials["api_key"].reveal(), user)
        return cls(api_keys=keys, admins=set(keys.values()))

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """``--api-key TOKEN[=USERNAME]`` (repeatable) and ``--latency SECONDS``."""
        parser.add_argument(
            "--api-key",
            action="append",
            metavar="KEY",
            help=(
                "accept this Avalon-Api-Key, as TOKEN (user archivist) or TOKEN=USERNAME; "
                "repeatable; replaces the demonstration keys"
            ),
        )
        parser.add_argument(
            "--latency",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="delay every response by this many seconds",
        )

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> AvalonSimulator:
        """A simulator configured from :meth:`add_arguments`' options."""
        raw_keys: list[str] | None = getattr(args, "api_key", None)
        api_keys: dict[str, str] | None = None
        if raw_keys:
            api_keys = {}
            for raw in raw_keys:
                token, _, user = raw.partition("=")
                api_keys[token.strip()] = user.strip() or DEFAULT_ADMIN
        return cls(api_keys=api_keys, latency_s=float(getattr(args, "latency", 0.0) or 0.0))


def _add_routes(router: web.UrlDispatcher, config: SimConfig) -> None:
    for path in _both("/media_objects"):
        router.add_get(path, media.list_media_objects)
        router.add_post(path, media.create_media_object)
    one = "/media_objects/{id}"
    router.add_get(one, media.show_media_object)
    router.add_put(one, media.update_media_object)
    router.add_patch(one, media.update_media_object)
    router.add_delete(one, media.delete_media_object)

    for path in _both("/admin/collections"):
        router.add_get(path, admin.list_collections)
        router.add_post(path, admin.create_collection)
    router.add_get("/admin/collections/{id}", admin.show_collection)
    router.add_put("/admin/collections/{id}", admin.update_collection)
    router.add_patch("/admin/collections/{id}", admin.update_collection)
    for path in _both("/admin/collections/{id}/items"):
        router.add_get(path, admin.collection_items)

    for path in _both("/vocabulary"):
        router.add_get(path, admin.list_vocabulary)
    router.add_get("/vocabulary/{name}", admin.show_vocabulary)
    # resources :vocabulary, except: [:create, ...] (config/routes.rb:104): no POST.
    methods = ("PUT", "PATCH", "POST") if config.vocabulary_post else ("PUT", "PATCH")
    for method in methods:
        router.add_route(method, "/vocabulary/{name}", admin.update_vocabulary)

    for parent in ("/master_files/{master_file_id}", "/media_objects/{media_object_id}"):
        # The index is routed for JSON only (config/routes.rb:143, 178).
        router.add_get(f"{parent}/supplemental_files.json", files.list_supplemental_files)
        for path in _both(f"{parent}/supplemental_files"):
            router.add_post(path, files.create_supplemental_file)
        item = f"{parent}/supplemental_files/{{id}}"
        router.add_get(item, files.show_supplemental_file)
        router.add_put(item, files.update_supplemental_file)
        router.add_patch(item, files.update_supplemental_file)
        router.add_delete(item, files.delete_supplemental_file)

    router.add_get("/avalon/{path:.+}", files.hls_playlist)
    storage.add_routes(router)
