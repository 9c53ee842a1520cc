"""A simulator of the Flex MAM API: HTTP Basic authentication on ``/api``."""

from __future__ import annotations

import argparse
import base64
import binascii
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from adapters.simulator import Simulator

MEDIA_TYPE = "application/vnd.nativ.mio.v1+json"
DEFAULT_USERS = {"flexadmin": "flex-demo-password"}


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"errors": {"error": message}}, status=status, content_type=MEDIA_TYPE)


class FlexSimulator(Simulator):
    """The Flex MAM API as far as the gateway uses it."""

    kind = "flex"

    def __init__(self, *, users: Mapping[str, str] | None = None, **faults: Any) -> None:
        super().__init__(**faults)
        self.users = dict(DEFAULT_USERS if users is None else users)

    def failure_response(self, status: int) -> web.StreamResponse:
        """Flex's error body."""
        return _error(status, f"Simulated failure {status}")

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return self.users.get(user) == password

    def build_app(self) -> web.Application:
        """``/api`` behind Basic authentication."""

        async def api_root(request: web.Request) -> web.Response:
            if not self._authorized(request):
                return _error(401, "Authentication required")
            return web.json_response(
                {"name": "Flex MAM API", "version": "1"}, content_type=MEDIA_TYPE
            )

        app = web.Application()
        app.router.add_get("/api", api_root)
        return app

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """``--user NAME=PASSWORD`` (repeatable), besides the common options."""
        super().add_arguments(parser)
        parser.add_argument("--user", action="append", default=[], metavar="NAME=PASSWORD")

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> FlexSimulator:
        """A simulator for the command line's users."""
        users = dict(u.split("=", 1) for u in args.user if "=" in u) or None
        return cls(users=users, latency_s=args.latency)
