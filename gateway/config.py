"""The gateway's configuration: a TOML file plus environment references.

Shape (every key documented in the README)::

    [server]            host, port, public_url, trust_forwarded, max_body_bytes,
                        max_upload_bytes, max_uri_bytes,
                        upstream_timeout_s, upstream_retries, probe_interval_s, log_level
    [backends.<name>]   kind, title, url, timeout_s, retries, plus the kind's own keys

Loading checks everything and raises :class:`~gateway.errors.ConfigError` with one
``<key path>: <message>`` line per problem.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from aiohttp import web

from gateway import plugins
from gateway.errors import ConfigError
from gateway.schema import Field, http_url, read_table

ENV_VAR: Final = "HALGW_CONFIG"
"""Names the config file when ``--config`` is not given."""

DEFAULT_PATH: Final = Path("config/gateway.toml")
SIMULATOR: Final = "simulator"
_NAME: Final = re.compile(r"[a-z][a-z0-9_-]{0,62}")


def _url_or_simulator(value: Any) -> str | None:
    if value == SIMULATOR:
        return None
    return None if http_url(value) is None else 'must be an http(s) URL or "simulator"'


def _public_url(value: Any) -> str | None:
    if value == "":
        return None
    problem = http_url(value)
    if problem is None and ("?" in value or "#" in value):
        return "must not have a query or fragment"
    return problem


SERVER_FIELDS: Final = (
    Field("host", str, "Address to listen on.", default="127.0.0.1"),
    Field(
        "port",
        int,
        "TCP port to listen on (0 picks a free one).",
        default=8080,
        minimum=0,
        maximum=65535,
    ),
    Field(
        "public_url",
        str,
        "Base URL clients use; empty means derive it per request.",
        default="",
        check=_public_url,
    ),
    Field(
        "trust_forwarded",
        bool,
        "Derive the base URL from X-Forwarded-Proto/Host/Prefix.",
        default=False,
    ),
    Field(
        "max_body_bytes",
        int,
        "Largest request body accepted (413 above).",
        default=10 * 1024 * 1024,
        minimum=1,
    ),
    Field(
        "max_upload_bytes",
        int,
        "Largest body streamed through to an upstream (media uploads; 413 above).",
        default=2 * 1024**3,
        minimum=1,
    ),
    Field(
        "max_uri_bytes",
        int,
        "Longest request URI accepted (414 above).",
        default=8192,
        minimum=256,
        maximum=1024 * 1024,
    ),
    Field(
        "upstream_timeout_s",
        float,
        "Default time budget of one upstream call.",
        default=10.0,
        minimum=0.001,
    ),
    Field(
        "upstream_retries",
        int,
        "Default retries of idempotent upstream calls.",
        default=2,
        minimum=0,
        maximum=10,
    ),
    Field(
        "probe_interval_s",
        float,
        "Seconds between readiness probes of the backends.",
        default=15.0,
        minimum=0.1,
    ),
    Field(
        "log_level",
        str,
        "Logging level.",
        default="info",
        choices=("debug", "info", "warning", "error"),
    ),
)

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
)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """The ``[server]`` table."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    trust_forwarded: bool = False
    max_body_bytes: int = 10 * 1024 * 1024
    max_upload_bytes: int = 2 * 1024**3
    max_uri_bytes: int = 8192
    upstream_timeout_s: float = 10.0
    upstream_retries: int = 2
    probe_interval_s: float = 15.0
    log_level: str = "info"


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

    @property
    def simulated(self) -> bool:
        """True when the upstream is this kind's simulator started in-process."""
        return self.url == SIMULATOR


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """The whole configuration."""

    server: ServerConfig = field(default_factory=ServerConfig)
    backends: Mapping[str, BackendConfig] = field(default_factory=dict)
    source: str = "<defaults>"


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
        if key not in ("server", "backends"):
            problems.append(f"{key}: unknown key")
    server_table = _table(data, "server", "server", problems)
    server = ServerConfig(**read_table(server_table, SERVER_FIELDS, "server", problems, env=env))
    backends: dict[str, BackendConfig] = {}
    for name, table in _table(data, "backends", "backends", problems).items():
        backend = _backend(name, table, server, problems, env)
        if backend is not None:
            backends[name] = backend
    if problems:
        raise ConfigError(problems)
    return GatewayConfig(server=server, backends=MappingProxyType(backends), source=source)


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
    kinds = plugins.available_kinds()
    kind = table.get("kind")
    fields: tuple[Field, ...] = (
        Field("kind", str, "Adapter kind.", required=True, choices=kinds),
        *BACKEND_FIELDS[1:],
    )
    if isinstance(kind, str) and kind in kinds:
        fields += plugins.adapter_class(kind).config_fields
    else:
        # Without a valid kind its own keys cannot be checked: report only the common ones.
        table = {k: v for k, v in table.items() if k in {f.name for f in fields}}
    before = len(problems)
    values = read_table(table, fields, path, problems, env=env)
    if len(problems) == before:
        adapter = plugins.adapter_class(values["kind"])
        problems += [f"{path}.{key}: {message}" for key, message in adapter.check_options(values)]
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
        options=MappingProxyType({k: v for k, v in values.items() if k not in common}),
    )


CONFIG: Final = web.AppKey("config", GatewayConfig)
"""The running gateway's configuration in its application."""
