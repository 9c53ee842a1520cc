"""One ``[backends.<name>]`` table as an adapter receives it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final

SIMULATOR: Final = "simulator"
"""The ``url`` that asks for the kind's simulator, started in-process."""


@dataclass(frozen=True, slots=True)
class BackendConfig:
    """One ``[backends.<name>]`` table; ``options`` holds the kind's own keys."""

    name: str
    kind: str
    title: str
    url: str
    timeout_s: float
    retries: int
    options: Mapping[str, Any] = field(default_factory=dict)
    transfer_timeout_s: float = 3600.0
    max_concurrent: int = 32
    """Most calls to this backend in flight at once, across every gateway process."""
    breaker_failures: int = 5
    """Failed upstream calls in a row that open the backend's circuit breaker; 0: never."""
    breaker_open_s: float = 5.0
    """Seconds an open circuit breaker refuses calls before one call tries again."""
    cache_max_age_s: float = 0.0
    """Seconds a client, and the gateway's response cache, may reuse an answer."""
    roles: tuple[str, ...] = ()
    """Roles that may use the backend; empty: every role."""
    users: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per-user upstream credentials: gateway identity name → the kind's credential keys."""
    service_credentials: bool = True
    """Whether ``options`` holds a credential for everybody (else only per-user ones)."""

    @property
    def simulated(self) -> bool:
        """True when the upstream is this kind's simulator started in-process."""
        return self.url == SIMULATOR

    def credentials_of(self, user: str) -> BackendConfig:
        """This backend as ``user``'s own credentials configure it."""
        return replace(self, options=MappingProxyType({**self.options, **self.users[user]}))
