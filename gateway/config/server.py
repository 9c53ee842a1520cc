"""The ``[server]`` table: where the gateway listens, its public URL, its limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gateway.config.auth import MIN_KEY_BYTES
from gateway.config.backend import BackendConfig
from gateway.config.schema import Field, Secret, http_url
from gateway.config.session import SessionConfig
from gateway.web.cors import origin_problem
from gateway.web.hosts import LOOPBACK, pattern_problem

MAX_WORKERS: Final = 64
"""The most workers one ``serve`` may run, each a whole gateway process."""


def _public_url(value: Any) -> str | None:
    if value == "":
        return None
    problem = http_url(value)
    if problem is None and ("?" in value or "#" in value):
        return "must not have a query or fragment"
    return problem


def _allowed_hosts(value: tuple[str, ...]) -> str | None:
    problems = [p for p in map(pattern_problem, value) if p is not None]
    return "; ".join(problems) or None


def _metrics_token(value: Any) -> str | None:
    # A bearer token that opens /metrics to anybody who has it: as hard to guess as a key.
    if value and len(value.encode()) < MIN_KEY_BYTES:
        return f"must be at least {MIN_KEY_BYTES} bytes (or empty: only admins read /metrics)"
    return None


def _cors_origins(value: tuple[str, ...]) -> str | None:
    problems = [p for p in map(origin_problem, value) if p is not None]
    return "; ".join(problems) or None


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
        "workers",
        int,
        "Serving processes sharing the port (SO_REUSEPORT); above 1 needs the redis store.",
        default=1,
        minimum=1,
        maximum=MAX_WORKERS,
    ),
    Field(
        "public_url",
        str,
        "Base URL clients use; empty means derive it per request.",
        default="",
        check=_public_url,
    ),
    Field(
        "allowed_hosts",
        list,
        "Hosts the gateway answers for (Host, X-Forwarded-Host); '*.domain' and '*' too.",
        default=LOOPBACK,
        check=_allowed_hosts,
    ),
    Field(
        "trust_forwarded",
        bool,
        "Derive the base URL from X-Forwarded-Proto/Host/Prefix.",
        default=False,
    ),
    Field(
        "cors_origins",
        list,
        "Origins (scheme://host[:port]) whose pages may call the gateway with its login.",
        default=(),
        check=_cors_origins,
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
        "header_timeout_s",
        float,
        "Time a client has to send a request's head once it began it (408 after).",
        default=10.0,
        minimum=0.001,
    ),
    Field(
        "body_timeout_s",
        float,
        "Longest wait for the next bytes of a request body (408 after).",
        default=30.0,
        minimum=0.001,
    ),
    Field(
        "keepalive_timeout_s",
        float,
        "How long an idle connection stays open, waiting for a request.",
        default=75.0,
        minimum=0.001,
    ),
    Field(
        "max_connections",
        int,
        "Most client connections served at once; beyond it, new ones get a 503.",
        default=1000,
        minimum=1,
    ),
    Field(
        "drain_s",
        float,
        "On SIGTERM, how long requests in flight may take to finish before they are cut.",
        default=30.0,
        minimum=0,
        maximum=86400,
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
        "upstream_max_concurrent",
        int,
        "Default cap on concurrent calls to one backend, across every gateway process.",
        default=32,
        minimum=1,
    ),
    Field(
        "upstream_queue_s",
        float,
        "Longest wait of a call for a free slot under that cap (503 backend-busy after).",
        default=2.0,
        minimum=0,
    ),
    Field(
        "breaker_failures",
        int,
        "Default failed upstream calls in a row that open a backend's circuit; 0: never.",
        default=5,
        minimum=0,
        maximum=1000,
    ),
    Field(
        "breaker_open_s",
        float,
        "Default seconds an open circuit refuses calls (503) before one call tries again.",
        default=5.0,
        minimum=0.001,
        maximum=3600,
    ),
    Field(
        "rate_limit_per_s",
        float,
        "Requests a second each logged-in identity may make on average; 0 turns it off.",
        default=20.0,
        minimum=0,
    ),
    Field(
        "rate_limit_burst",
        int,
        "Requests an identity may make at once, above the average (the bucket's size).",
        default=100,
        minimum=1,
    ),
    Field(
        "cache_max_bytes",
        int,
        "Bytes of answers the gateway's own response cache holds; 0 turns it off.",
        default=64 * 1024 * 1024,
        minimum=0,
    ),
    Field(
        "fanout_budget_s",
        float,
        "Time each backend has to answer its part of a unified list (/assets, /collections).",
        default=5.0,
        minimum=0.001,
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
    Field(
        "log_format",
        str,
        "Log lines on standard error as text, or one JSON object each.",
        default="text",
        choices=("text", "json"),
    ),
    Field(
        "metrics_token",
        str,
        "A bearer token that may read /metrics without a login (a scraper's); empty: none.",
        default=Secret(""),
        secret=True,
        check=_metrics_token,
    ),
    Field(
        "metrics_port",
        int,
        "A port of its own serving only /metrics, without login (worker k: port + k - 1); 0: off.",
        default=0,
        minimum=0,
        maximum=65535,
    ),
    Field(
        "metrics_host",
        str,
        "Address of that port; empty: the address the gateway serves on.",
        default="",
    ),
)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """The ``[server]`` table."""

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    public_url: str = ""
    allowed_hosts: tuple[str, ...] = LOOPBACK
    trust_forwarded: bool = False
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 10 * 1024 * 1024
    max_upload_bytes: int = 2 * 1024**3
    max_uri_bytes: int = 8192
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keepalive_timeout_s: float = 75.0
    max_connections: int = 1000
    drain_s: float = 30.0
    upstream_timeout_s: float = 10.0
    upstream_retries: int = 2
    upstream_max_concurrent: int = 32
    upstream_queue_s: float = 2.0
    breaker_failures: int = 5
    breaker_open_s: float = 5.0
    rate_limit_per_s: float = 20.0
    rate_limit_burst: int = 100
    cache_max_bytes: int = 64 * 1024 * 1024
    fanout_budget_s: float = 5.0
    probe_interval_s: float = 15.0
    log_level: str = "info"
    log_format: str = "text"
    metrics_token: Secret = field(default_factory=lambda: Secret(""))
    metrics_port: int = 0
    metrics_host: str = ""


def workers_problems(
    server: ServerConfig, session: SessionConfig, backends: Mapping[str, BackendConfig]
) -> list[str]:
    """Several workers must share every piece of state: only Redis and real upstreams do."""
    if server.workers == 1:
        return []
    problems = []
    if session.store != "redis":
        problems.append(
            f'server.workers: {server.workers} workers need session.store = "redis": each '
            "would keep sessions, upstream logins, revoked tokens and limits of its own, and a "
            "login on one would be unknown to the others"
        )
    problems += [
        f'backends.{name}.url: "simulator" needs server.workers = 1: each process would '
        "start a simulator of its own, with data of its own; run it as `hal-gateway simulate "
        f"{backend.kind}` and give its URL"
        for name, backend in backends.items()
        if backend.simulated
    ]
    return problems


def metrics_problems(server: ServerConfig) -> list[str]:
    """The metrics ports (one per worker) must exist and not be the gateway's own."""
    if not server.metrics_port:
        return []
    last = server.metrics_port + server.workers - 1
    if last > 65535:
        return [
            f"server.metrics_port: {server.workers} workers need ports {server.metrics_port}-"
            f"{last}, past 65535"
        ]
    if server.metrics_port <= server.port <= last:
        return [
            "server.metrics_port: the metrics port must not be server.port: it serves /metrics "
            "without a login"
        ]
    return []
