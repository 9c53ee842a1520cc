"""The gateway's configuration: a TOML file plus environment references.

Shape (every key documented in the README)::

    [server]            where it listens and how it is reached, request limits and
                        timeouts, rate limits, upstream defaults (gateway.config.server)
    [auth], [session]   who may log in and where sessions live (gateway.config.auth)
    [backends.<name>]   kind, title, url, timeout_s, retries, transfer_timeout_s,
                        max_concurrent, breaker_failures, breaker_open_s,
                        cache_max_age_s, roles,
                        plus the kind's own keys
    [backends.<name>.users.<user>]   the user's own upstream credentials (the kind's
                        ``user_fields``)

Loading checks everything and raises :class:`~gateway.web.errors.ConfigError` with one
``<key path>: <message>`` line per problem.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from aiohttp import web

from gateway.config import kinds as installed
from gateway.config.auth import OIDC_PREFIX, AuthConfig, parse_auth
from gateway.config.backend import SIMULATOR, BackendConfig
from gateway.config.roles import known_roles
from gateway.config.schema import Field, Secret, http_url, plain, read_table
from gateway.config.server import (
    SERVER_FIELDS,
    ServerConfig,
    metrics_problems,
    workers_problems,
)
from gateway.config.session import SessionConfig, parse_session, shared_keys_problems
from gateway.web.errors import ConfigError

ENV_VAR: Final = "HALGW_CONFIG"
"""Names the config file when ``--config`` is not given."""

DEFAULT_PATH: Final = Path("config/gateway.toml")
_NAME: Final = re.compile(r"[a-z][a-z0-9_-]{0,62}")


def _url_or_simulator(value: Any) -> str | None:
    if value == SIMULATOR:
        return None
    return None if http_url(value) is None else 'must be an http(s) URL or "simulator"'


BACKEND_FIELDS: Final = (
    Field("kind", str, "Adapter kind.", required=True),
    Field("title", str, "Human title shown in links.", default=""),
    Field("url", str, 'Upstream base URL, or "simulator".', required=True, check=_url_or_simulator),
    Field(
        "timeout_s",
        float,
        "Time budget of one upstream call (server default if unset).",
        minimum=0.001,
    ),
    Field(
        "transfer_timeout_s",
        float,
        "Time budget of one streamed upload or download of media bytes.",
        default=3600.0,
        minimum=0.001,
    ),
    Field(
        "retries",
        int,
        "Retries of idempotent calls (server default if unset).",
        minimum=0,
        maximum=10,
    ),
    Field(
        "max_concurrent",
        int,
        "Most upstream calls in flight at once (server.upstream_max_concurrent if unset).",
        minimum=1,
    ),
    Field(
        "breaker_failures",
        int,
        "Failed upstream calls in a row that open the circuit (server default if unset).",
        minimum=0,
        maximum=1000,
    ),
    Field(
        "breaker_open_s",
        float,
        "Seconds an open circuit refuses calls (server default if unset).",
        minimum=0.001,
        maximum=3600,
    ),
    Field(
        "cache_max_age_s",
        float,
        "Seconds an answer may be reused (Cache-Control max-age, the gateway's cache); 0: never.",
        default=0.0,
        minimum=0,
    ),
    Field(
        "roles",
        list,
        "Only callers holding one of these roles may use the backend (admins always may).",
        default=(),
        check=known_roles,
    ),
)


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """The whole configuration."""

    server: ServerConfig = field(default_factory=ServerConfig)
    backends: Mapping[str, BackendConfig] = field(default_factory=dict)
    source: str = "<defaults>"
    auth: AuthConfig = field(default_factory=AuthConfig)
    session: SessionConfig = field(default_factory=SessionConfig)


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The config file to read: ``path``, else ``$HALGW_CONFIG``, else the embedded default."""
    if path:
        return Path(path)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    if DEFAULT_PATH.exists():
        return DEFAULT_PATH
    # Run from elsewhere than the checkout: use the checkout's copy if there is one.
    beside = Path(__file__).resolve().parent.parent / DEFAULT_PATH
    return beside if beside.exists() else DEFAULT_PATH


def load(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> GatewayConfig:
    """Read and check the config file; raise ``ConfigError`` listing every problem."""
    source = resolve_path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{source}: cannot read: {exc.strerror or exc}"]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{source}: not valid TOML: {exc}"]) from exc
    return parse(data, source=str(source), env=env)


def parse(
    data: Mapping[str, Any], *, source: str = "<memory>", env: Mapping[str, str] | None = None
) -> GatewayConfig:
    """Check a decoded TOML document; raise ``ConfigError`` listing every problem."""
    problems: list[str] = []
    for key in data:
        if key not in ("server", "auth", "session", "backends"):
            problems.append(f"{key}: unknown key")
    server_table = _table(data, "server", "server", problems)
    server = ServerConfig(**read_table(server_table, SERVER_FIELDS, "server", problems, env=env))
    auth = parse_auth(_table(data, "auth", "auth", problems), problems, env)
    session = parse_session(_table(data, "session", "session", problems), problems, env)
    problems += shared_keys_problems(auth, session)
    backends: dict[str, BackendConfig] = {}
    for name, table in _table(data, "backends", "backends", problems).items():
        backend = _backend(name, table, server, problems, env)
        if backend is not None:
            backends[name] = backend
    problems += _unknown_user_problems(auth, backends)
    problems += workers_problems(server, session, backends)
    problems += metrics_problems(server)
    if problems:
        raise ConfigError(problems)
    return GatewayConfig(
        server=server,
        backends=MappingProxyType(backends),
        source=source,
        auth=auth,
        session=session,
    )


def _unknown_user_problems(auth: AuthConfig, backends: Mapping[str, BackendConfig]) -> list[str]:
    """``users.<name>`` tables must name a configured user or client, or ``oidc:<name>``."""
    problems = []
    for backend in backends.values():
        for name in backend.users:
            path = f"backends.{backend.name}.users.{name}"
            if name.startswith(OIDC_PREFIX):
                if auth.oidc is None:
                    problems.append(f"{path}: names an OIDC user, but there is no [auth.oidc]")
            elif name not in auth.users and name not in auth.clients:
                problems.append(
                    f"{path}: no [[auth.users]] or [[auth.clients]] is called {name!r} "
                    f'(users of the OIDC issuer go by "{OIDC_PREFIX}<name>")'
                )
    return problems


def _table(data: Mapping[str, Any], key: str, path: str, problems: list[str]) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        problems.append(f"{path}: must be a table")
        return {}
    return value


def _backend(
    name: str,
    table: Any,
    server: ServerConfig,
    problems: list[str],
    env: Mapping[str, str] | None,
) -> BackendConfig | None:
    path = f"backends.{name}"
    if not _NAME.fullmatch(name):
        problems.append(
            f"{path}: backend names are 1-63 characters of a-z, 0-9, '-', '_', "
            "starting with a letter"
        )
        return None
    if not isinstance(table, Mapping):
        problems.append(f"{path}: must be a table")
        return None
    kinds = installed.available_kinds()
    kind = table.get("kind")
    fields: tuple[Field, ...] = (
        Field("kind", str, "Adapter kind.", required=True, choices=kinds),
        *BACKEND_FIELDS[1:],
    )
    users_table = table.get("users", {})
    table = {k: v for k, v in table.items() if k != "users"}
    service = True
    if isinstance(kind, str) and kind in kinds:
        adapter = installed.rules(kind)
        own = adapter.config_fields
        personal = set(adapter.personal_keys(table))
        if users_table and not personal & set(table):
            # Per-user credentials only: the service credential keys become optional.
            service = False
            own = tuple(replace(f, required=False) for f in own)
        fields += own
    else:
        # Without a valid kind its own keys cannot be checked: report only the common ones.
        table = {k: v for k, v in table.items() if k in {f.name for f in fields}}
    before = len(problems)
    values = read_table(table, fields, path, problems, env=env)
    if len(problems) == before:
        adapter = installed.rules(values["kind"])
        if service:
            problems += [f"{path}.{k}: {message}" for k, message in adapter.check_options(values)]
        if values["url"] == SIMULATOR and values["kind"] not in installed.simulated_kinds():
            problems.append(f"{path}.url: no simulator of kind {values['kind']} is installed")
    users = _backend_users(path, users_table, values, problems, env)
    if len(problems) != before:
        return None
    common = {f.name for f in BACKEND_FIELDS}
    return BackendConfig(
        name=name,
        kind=values["kind"],
        title=values["title"] or name,
        url=values["url"].rstrip("/") if values["url"] != SIMULATOR else SIMULATOR,
        timeout_s=values["timeout_s"] or server.upstream_timeout_s,
        retries=server.upstream_retries if values["retries"] is None else values["retries"],
        transfer_timeout_s=values["transfer_timeout_s"],
        max_concurrent=values["max_concurrent"] or server.upstream_max_concurrent,
        breaker_failures=(
            server.breaker_failures
            if values["breaker_failures"] is None
            else values["breaker_failures"]
        ),
        breaker_open_s=values["breaker_open_s"] or server.breaker_open_s,
        cache_max_age_s=values["cache_max_age_s"],
        options=MappingProxyType({k: v for k, v in values.items() if k not in common}),
        roles=values["roles"],
        users=MappingProxyType(users),
        service_credentials=service,
    )


def _backend_users(
    path: str,
    table: Any,
    values: Mapping[str, Any],
    problems: list[str],
    env: Mapping[str, str] | None,
) -> dict[str, Mapping[str, Any]]:
    """``[backends.<name>.users.<user>]``: each user's credentials, checked like the service's."""
    if not table:
        return {}
    if not isinstance(table, Mapping):
        problems.append(f"{path}.users: must be a table of users")
        return {}
    kind = values.get("kind")
    if not isinstance(kind, str) or kind not in installed.available_kinds():
        return {}
    adapter = installed.rules(kind)
    if not adapter.user_fields:
        problems.append(f"{path}.users: backends of kind {kind} take no per-user credentials")
        return {}
    users: dict[str, Mapping[str, Any]] = {}
    for user, credentials in table.items():
        user_path = f"{path}.users.{user}"
        if not isinstance(credentials, Mapping):
            problems.append(f"{user_path}: must be a table")
            continue
        before = len(problems)
        own = read_table(credentials, adapter.user_fields, user_path, problems, env=env)
        # An empty value (say ``${ALICE_TOKEN:-}`` unset) is no credential: left out, it
        # cannot let the user fall back on the service's.
        own = {
            k: v
            for k, v in own.items()
            if v is not None and (plain(v) or not isinstance(v, str | Secret))
        }
        if not own and len(problems) == before:
            problems.append(f"{user_path}: names no credentials")
        if len(problems) == before:
            found = adapter.check_user_options(own, {**values, **own})
            problems += [f"{user_path}.{k}: {message}" for k, message in found]
        users[user] = MappingProxyType(own)
    return users


CONFIG: Final = web.AppKey("config", GatewayConfig)
"""The running gateway's configuration in its application."""
