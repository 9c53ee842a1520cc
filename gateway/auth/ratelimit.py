"""Per-identity rate limits: a token bucket for every logged-in identity.

Each request of a logged-in caller takes one token from that identity's bucket, which
holds ``server.rate_limit_burst`` tokens and gains ``server.rate_limit_per_s`` a second.
An empty bucket answers 429 ``rate-limited`` with ``Retry-After`` (seconds until a
token is back), before the request's body is read or any upstream is called. Buckets
live in the state store, so with Redis every gateway process draws from the same one.

Every answer to a logged-in caller past the access check says where it stands, in the
fields of the IETF draft "RateLimit header fields for HTTP"
(draft-ietf-httpapi-ratelimit-headers-10)::

    RateLimit-Policy: "requests";q=100;w=5     the bucket's size, and seconds to refill it
    RateLimit: "requests";r=42;t=0             requests left now, seconds until the next one

Anonymous requests reach only public pages and the login routes, which have their own
throttle (:mod:`gateway.auth.throttle`); they are not counted here. The token and
revocation endpoints, whose callers are nobody yet (a public client's refreshes name no
secret), take from a bucket of the same size per client id and client address
(:meth:`RateLimiter.take_for`), as they write to the state store.
"""

from __future__ import annotations

import hashlib
import math
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from gateway.auth.access import caller
from gateway.auth.identity import Identity
from gateway.config.server import ServerConfig
from gateway.state.base import Bucket, StateStore
from gateway.web.errors import RateLimited
from gateway.web.metrics import Metrics
from gateway.web.routing import Handler

POLICY: Final = "requests"
"""The name of the one quota policy, as the RateLimit fields give it."""
_HEADERS: Final = web.RequestKey("rate_limit_headers", dict[str, str])


class RateLimiter:
    """Takes one token per request from the caller's bucket."""

    def __init__(self, server: ServerConfig, store: StateStore) -> None:
        self.capacity = server.rate_limit_burst
        self.per_s = server.rate_limit_per_s
        self._store = store
        window = math.ceil(self.capacity / self.per_s) if self.per_s else 0
        self.policy = f'"{POLICY}";q={self.capacity};w={window}'

    @property
    def enabled(self) -> bool:
        """False when ``rate_limit_per_s`` is 0."""
        return self.per_s > 0

    async def take(self, who: Identity) -> Bucket:
        """Take a token from ``who``'s bucket."""
        # Hashed: identity names are not kept as they are in the store.
        key = "ratelimit:" + hashlib.sha256(who.key.encode()).hexdigest()[:32]
        return await self._store.take(key, self.capacity, self.per_s)

    async def take_for(self, client_id: str, address: str) -> Bucket:
        """Take a token from the bucket of ``client_id`` at ``address``: for the OAuth
        endpoints, whose callers are no identity yet."""
        named = f"oauth\0{client_id}\0{address}"
        key = "ratelimit:oauth:" + hashlib.sha256(named.encode()).hexdigest()[:32]
        return await self._store.take(key, self.capacity, self.per_s)

    def headers(self, bucket: Bucket) -> dict[str, str]:
        """The RateLimit fields for an answer after ``bucket``'s take."""
        return {
            "RateLimit-Policy": self.policy,
            # t: seconds until quota is there again (draft 10), so 0 while some is left
            # and, when none is, the same wait as Retry-After.
            "RateLimit": f'"{POLICY}";r={bucket.remaining};t={math.ceil(bucket.wait_s())}',
        }


def middleware(limiter: RateLimiter, metrics: Metrics | None = None) -> Middleware:
    """The middleware counting each logged-in caller's requests (after ``access``); its
    429s are counted in ``metrics``."""
    refused = (metrics if metrics is not None else Metrics.unrecorded()).rate_limited.child()

    @web.middleware
    async def rate_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
        who = caller(request)
        if who is None or not limiter.enabled:
            return await handler(request)
        bucket = await limiter.take(who)
        request[_HEADERS] = limiter.headers(bucket)
        if not bucket.allowed:
            refused.inc()
            wait = max(1, math.ceil(bucket.wait_s()))
            raise RateLimited(
                f"{who.name} sent more than {limiter.capacity} requests at once or more "
                f"than {limiter.per_s:g} a second for a while; try again in {wait} s",
                retry_after_s=wait,
            )
        return await handler(request)

    return rate_limits


async def add_rate_limit_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the caller's RateLimit fields on every answer, errors included."""
    headers = request.get(_HEADERS)
    if headers is not None:
        response.headers.update(headers)
