"""The contract between the gateway core and a backend adapter.

An adapter is one class per upstream kind. The core knows adapters only through
this contract: it builds one instance per configured backend, mounts its
:meth:`Adapter.routes` under ``/backends/<name>``, links its :meth:`Adapter.service_root`,
publishes its :meth:`Adapter.registry_entries` and :meth:`Adapter.relations`, asks
:meth:`Adapter.upstream_auth` how to log in upstream and :meth:`Adapter.read_upstream_error`
how to read the upstream's error bodies, and probes it for readiness. The unified
asset view (one list across backends) calls the asset methods.
"""

from __future__ import annotations

import abc
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final

from aiohttp import web

from gateway.config.backend import BackendConfig
from gateway.config.schema import Field, Secret
from gateway.spi.assets import (
    AssetPage,
    AssetQuery,
    CollectionPage,
    UnifiedAsset,
    UnifiedCollection,
)
from gateway.spi.registry import RegistryEntry
from gateway.spi.relations import RelationDoc
from gateway.upstream.auth import NoAuth, UpstreamAuth
from gateway.upstream.client import UpstreamClient
from gateway.upstream.faults import UpstreamFault, default_error_reader
from gateway.web import hal
from gateway.web.errors import NotOffered
from gateway.web.routing import Route
from gateway.web.urls import public_base

_NAME: Final = re.compile(r"[a-z][a-z0-9_-]{0,62}")

Href = Callable[[str], str]
"""Makes an absolute gateway URL from a path relative to the backend root."""


class Adapter(abc.ABC):
    """One backend of some kind, as the gateway sees it.

    Subclasses set ``kind`` and ``curie`` and override what their upstream offers. The
    defaults give a backend root with ``self`` and its facts, an empty route list, and a
    probe that asks the upstream's base URL. The kind's simulator is no part of this
    class: it is registered on its own (``hal_gateway.simulators``) and loaded only when
    a backend asks for it.
    """

    kind: ClassVar[str]
    curie: ClassVar[str]
    """CURIE prefix of the kind's relations, documented at ``/rels/<curie>/{rel}``."""
    description: ClassVar[str] = ""
    config_fields: ClassVar[tuple[Field, ...]] = ()
    """The kind's own keys in ``[backends.<name>]`` (credentials and options)."""
    user_fields: ClassVar[tuple[Field, ...]] = ()
    """The credential keys a ``[backends.<name>.users.<user>]`` table may set (none: the
    kind takes no per-user credentials). They override the service's keys of that name."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a kind that breaks the contract when the class is made, not when used.

        ``kind`` and ``curie`` are read before any instance exists (config checks, the
        registry, the relation pages); ``read_upstream_error`` is handed to the upstream
        client as it stands on the class, so an instance method would fail on the first
        upstream error instead of reading it.
        """
        super().__init_subclass__(**kwargs)
        for attribute in ("kind", "curie"):
            value = getattr(cls, attribute, None)
            if not isinstance(value, str) or not _NAME.fullmatch(value):
                raise TypeError(
                    f"{cls.__qualname__}.{attribute} must be a lower-case name "
                    f"(letters, digits, '-', '_'), not {value!r}"
                )
        if not isinstance(inspect.getattr_static(cls, "read_upstream_error"), staticmethod):
            raise TypeError(f"{cls.__qualname__}.read_upstream_error must be a staticmethod")

    def __init__(self, backend: BackendConfig, client: UpstreamClient) -> None:
        if type(self) is Adapter:
            raise TypeError("Adapter is the contract of a kind; build a kind's subclass")
        self.backend = backend
        self.client = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.backend.name!r})"

    @property
    def name(self) -> str:
        """The backend's config name."""
        return self.backend.name

    @property
    def path(self) -> str:
        """The backend root path on the gateway."""
        return f"/backends/{self.backend.name}"

    def hrefs(self, request: web.Request) -> Href:
        """Makes absolute gateway URLs from paths relative to this backend's root."""
        base = public_base(request) + self.path
        return lambda path: base + path

    # -- upstream -------------------------------------------------------------------

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Problems across the kind's keys, as (key, message); fields check themselves.

        Called once every field passed its own check, so ``check-config`` and ``serve``
        report, say, a password required by the chosen login flow with its key path.
        """
        return []

    @classmethod
    def personal_keys(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        """The credential keys that say who logs in upstream, for a backend's ``options``.

        A backend table that sets none of them (but has ``users``) has no service
        credential: its users log in as themselves, and keys outside this list (say,
        the OAuth2 client of a password grant) may stay shared. The default: every
        ``user_fields`` key.
        """
        return tuple(f.name for f in cls.user_fields)

    @classmethod
    def check_user_options(
        cls, own: Mapping[str, Any], merged: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """Problems of one ``users.<user>`` table, as (key, message).

        ``own`` holds the user's keys, ``merged`` the backend's with the user's in place.
        The default checks ``merged`` like the service's keys; kinds whose login may take
        some keys from the service say here which keys must be the user's own.
        """
        return cls.check_options(merged)

    @classmethod
    def upstream_auth(cls, backend: BackendConfig) -> UpstreamAuth:
        """How this backend logs in upstream; the default sends no credentials."""
        return NoAuth()

    @classmethod
    def user_auth(cls, backend: BackendConfig, user: str) -> UpstreamAuth:
        """How ``user`` logs in upstream with their own credentials (``backend.users[user]``).

        The default is the service login built from the user's keys in place of the
        service's.
        """
        return cls.upstream_auth(backend.credentials_of(user))

    @classmethod
    def secrets(cls, backend: BackendConfig) -> list[str]:
        """Secret config values, masked wherever upstream text reaches a client."""
        tables = [backend.options, *backend.users.values()]
        return [v.reveal() for t in tables for v in t.values() if isinstance(v, Secret)]

    @staticmethod
    def read_upstream_error(status: int, content_type: str, body: bytes) -> UpstreamFault:
        """The upstream's own error messages (and code) from an error answer."""
        return default_error_reader(status, content_type, body)

    async def close(self) -> None:  # noqa: B027 - most kinds start no work of their own
        """Finish the adapter's own background work at shutdown, before its client closes."""

    async def probe(self) -> None:
        """Raise a gateway error when the upstream cannot serve; readiness uses it.

        Runs with the service credential; a backend with per-user credentials only is
        probed with :meth:`reachable` instead.
        """
        await self.reachable()

    async def reachable(self) -> None:
        """Raise a gateway error when the upstream does not answer at all."""
        await self.client.request("GET", "/", ok=range(400, 500), authenticate=False)

    # -- the gateway side ---------------------------------------------------------

    def routes(self) -> Sequence[Route]:
        """Routes with paths relative to ``/backends/<name>`` (the root itself is the core's)."""
        return ()

    def relations(self) -> Sequence[RelationDoc]:
        """Documentation of every ``<curie>:`` relation this adapter emits."""
        return ()

    def registry_entries(self) -> Sequence[RegistryEntry]:
        """This backend's entries in the CTMS service-roots registry."""
        return ()

    async def service_root(self, request: web.Request, base: str) -> hal.Resource:
        """The HAL document at ``/backends/<name>``; ``base`` is the public base URL.

        Subclasses call this and add their links.
        """
        root = hal.Resource(
            {
                "name": self.backend.name,
                "kind": self.kind,
                "title": self.backend.title,
                "description": self.description,
            }
        )
        root.link("self", base + self.path, title=self.backend.title)
        root.link("up", base + "/", title="Gateway root")
        return root

    # -- unified assets and collections -------------------------------------------

    search_method: ClassVar[str] = ""
    """How ``q`` of the unified list becomes this kind's upstream search (documented)."""
    offers_collections: ClassVar[bool] = False
    """Whether the kind has collections in the unified view."""

    async def list_assets(self, query: AssetQuery) -> AssetPage:
        """Unified assets matching ``query``; kinds that cannot list raise 501."""
        raise NotOffered(f"backend {self.name} does not list unified assets")

    async def get_asset(self, native_id: str) -> UnifiedAsset:
        """One unified asset by its native id; 404 when there is none."""
        raise NotOffered(f"backend {self.name} does not offer unified assets")

    async def list_collections(self, offset: int, limit: int) -> CollectionPage:
        """Unified collections from ``offset``, in a stable order."""
        raise NotOffered(f"backend {self.name} has no unified collections")

    async def get_collection(self, native_id: str) -> UnifiedCollection:
        """One unified collection by its native id; 404 when there is none."""
        raise NotOffered(f"backend {self.name} has no unified collections")

    async def collection_items(self, native_id: str, offset: int, limit: int) -> AssetPage:
        """The assets of one collection from ``offset``, in a stable order; 404 if none."""
        raise NotOffered(f"backend {self.name} has no unified collections")
