"""A simulator of the Azure Media Services Connector API.

The connector's authentication scheme is not documented; the simulator accepts one
configured bearer token (``Authorization: Bearer <token>``).
"""

from __future__ import annotations

import argparse
import hmac
from typing import Any

from aiohttp import web

from adapters.simulator import Simulator

DEFAULT_TOKEN = "azure-demo-token"
FORMATS = ("mp4", "mov", "wmv", "avi", "mkv", "m4v", "mpg", "ts", "mxf", "wav", "mp3")


class AzureSimulator(Simulator):
    """The connector API as far as the gateway uses it."""

    kind = "azure"

    def __init__(self, *, token: str = DEFAULT_TOKEN, **faults: Any) -> None:
        super().__init__(**faults)
        self.token = token

    def _authorized(self, request: web.Request) -> bool:
        expected = f"Bearer {self.token}"
        return hmac.compare_digest(request.headers.get("Authorization", ""), expected)

    def build_app(self) -> web.Application:
        """``/api/Formats`` behind the bearer token."""

        async def formats(request: web.Request) -> web.Response:
            if not self._authorized(request):
                return web.json_response({"Message": "Authorization has been denied."}, status=401)
            return web.json_response([{"Extension": f} for f in FORMATS])

        app = web.Application()
        app.router.add_get("/api/Formats", formats)
        return app

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """``--token TOKEN``, besides the common options."""
        super().add_arguments(parser)
        parser.add_argument("--token", default=DEFAULT_TOKEN, help="bearer token to accept")

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> AzureSimulator:
        """A simulator for the command line's token."""
        return cls(token=args.token, latency_s=args.latency)
