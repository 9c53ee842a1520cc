"""The gateway as a process in front of one Avalon upstream, with a logged-in client.

The config is written to a temporary file: one Avalon backend named ``bench`` at the
upstream's URL, one client (``client_credentials``, role ``editor``), rate limits off
(``server.rate_limit_per_s = 0``: one client making every request would otherwise be
throttled), and whatever server, backend and session keys a benchmark adds (with session
keys, a fixed ``auth.signing_key`` too, as the redis store needs). Everything else keeps
its default, the log level too: an access log line per request, to standard error.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench._media_object import BACKEND
from bench._processes import bearer, start, stop
from gateway.auth.passwords import Cost, hash_password

Keys = Mapping[str, str | int | float]


@dataclass(frozen=True, slots=True)
class Gateway:
    """A started gateway: its process, base URL and the headers of its logged-in client."""

    proc: subprocess.Popen[str]
    url: str
    headers: dict[str, str]


def _toml(keys: Keys) -> str:
    return "".join(
        f'{key} = "{value}"\n' if isinstance(value, str) else f"{key} = {value}\n"
        for key, value in keys.items()
    )


def config_text(
    upstream: str, secret: str, server: Keys | None, backend: Keys | None, session: Keys | None
) -> str:
    """The benchmark gateway's TOML (see the module doc); ``secret`` is its client's."""
    shared = ""
    if session:
        signing_key = secrets.token_urlsafe(32)
        shared = f'[auth]\nsigning_key = "{signing_key}"\n[session]\n' + _toml(session)
    return (
        "[server]\nport = 0\nrate_limit_per_s = 0\n"
        + _toml(server or {})
        + shared
        + '[[auth.clients]]\nclient_id = "bench"\nroles = ["editor"]\n'
        + f'secret_hash = "{hash_password(secret, Cost(ln=14))}"\n'
        + f'[backends.{BACKEND}]\nkind = "avalon"\nurl = "{upstream}"\napi_key = "bench-key"\n'
        + _toml(backend or {})
    )


def refusal(
    upstream: str,
    server: Keys | None = None,
    backend: Keys | None = None,
    session: Keys | None = None,
) -> str | None:
    """Why ``hal-gateway check-config`` refuses the config with these keys; None if it takes it."""
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        path = Path(folder) / "gateway.toml"
        path.write_text(config_text(upstream, "unused", server, backend, session))
        done = subprocess.run(
            [sys.executable, "-m", "gateway", "check-config", str(path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    if done.returncode == 0:
        return None
    problems = [line.strip() for line in done.stderr.splitlines()[1:] if line.startswith("  ")]
    return "; ".join(problems) or done.stderr.strip() or f"exit code {done.returncode}"


@contextmanager
def gateway(
    upstream: str,
    server: Keys | None = None,
    backend: Keys | None = None,
    python: Sequence[str] = (),
    session: Keys | None = None,
) -> Iterator[Gateway]:
    """``hal-gateway serve`` in front of ``upstream``; stopped (SIGTERM) after.

    ``python`` holds interpreter arguments (``-m cProfile -o FILE``).
    """
    secret = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        path = Path(folder) / "gateway.toml"
        path.write_text(config_text(upstream, secret, server, backend, session))
        proc, url = start("serve", "--config", str(path), python=python)
        try:
            yield Gateway(proc, url, bearer(url, "bench", secret))
        finally:
            stop(proc)
