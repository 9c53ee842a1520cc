"""A simulator of a MediaCentral Cloud UX platform: its ``/auth`` HAL root."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from adapters.simulator import Simulator

DEFAULT_USERS = {"newsroom": "mediacentral-demo-password"}


class MediaCentralSimulator(Simulator):
    """The platform as far as the gateway uses it."""

    kind = "mediacentral"

    def __init__(self, *, users: Mapping[str, str] | None = None, **faults: Any) -> None:
        super().__init__(**faults)
        self.users = dict(DEFAULT_USERS if users is None else users)

    def failure_response(self, status: int) -> web.StreamResponse:
        """The platform's problem body."""
        return web.json_response(
            {
                "code": "avid.upstream/FAILURE",
                "message": f"Simulated failure {status}",
                "params": {},
                "status": status,
            },
            status=status,
            content_type="application/vnd.avid.problem+json",
        )

    def build_app(self) -> web.Application:
        """``GET /auth``: the authentication HAL root."""

        async def auth_root(request: web.Request) -> web.Response:
            base = f"{request.scheme}://{request.host}"
            return web.json_response(
                {
                    "_links": {
                        "self": {"href": f"{base}/auth"},
                        "auth:identity-providers": {"href": f"{base}/auth/identity-providers"},
                    }
                },
                content_type="application/hal+json",
            )

        app = web.Application()
        app.router.add_get("/auth", auth_root)
        return app
