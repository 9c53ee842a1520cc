"""Every gateway the suite starts is watched for leaked secrets.

The ``gateway`` fixture records the status line, headers and body of every answer (but
media streamed through) and every log record of the test, and at the end looks for
each configured secret in them: the suite's scenarios, all of them, double as one
test that no secret ever leaves the gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

from aiohttp import web

from gateway.config.loading import GatewayConfig
from gateway.config.schema import Secret
from gateway.web.routing import Handler
from tests.support.identities import CLIENTS, SIGNING_KEY, USERS

MIN_LENGTH: Final = 8
"""Shorter values would be found in ordinary text by chance."""


def configured_secrets(config: GatewayConfig) -> set[str]:
    """Every secret value of ``config``, and the passwords of the suite's principals."""
    values = {config.auth.signing_key, config.session.secret_key, config.session.redis_url}
    if config.auth.oidc is not None:
        values.add(config.auth.oidc.client_secret)
    for backend in config.backends.values():
        tables = [backend.options, *backend.users.values()]
        values |= {v for t in tables for v in t.values() if isinstance(v, Secret)}
    found = {v.reveal() for v in values} | {SIGNING_KEY}
    found |= {p for p, _ in USERS.values()} | {s for s, _ in CLIENTS.values()}
    return {s for s in found if len(s) >= MIN_LENGTH}


class Recorder:
    """Collects what a gateway sends back, for the leak check."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, str]] = []

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Outermost: records the answer as the client gets it (streamed bodies aside).

        Only the answer is searched; the request (which the client wrote, secrets and
        all) only labels it.
        """
        response = await handler(request)
        text = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            text += "\n" + response.body.decode("utf-8", "replace")
        self.answers.append((f"answer to {request.method} {request.path}", text))
        return response


def leaks(secrets: Iterable[str], texts: Iterable[tuple[str, str]]) -> list[str]:
    """'<secret prefix>... in <where>' for every secret found in the (where, text) pairs."""
    found = []
    for where, text in texts:
        for secret in secrets:
            if secret in text:
                found.append(f"{secret[:3]}... in {where}: {text[:120]!r}")
    return found


def log_lines(records: Iterable[logging.LogRecord]) -> list[tuple[str, str]]:
    """Log records as they would be printed, exception text included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [(f"log of {record.name}", formatter.format(record)) for record in records]
