"""The one surface adapters and simulators import: ``from gateway.spi import ...``.

An adapter subclasses :class:`Adapter`; a simulator subclasses :class:`Simulator`.
Everything else here is what they legitimately use of the core: the HAL toolkit,
routes, request-body helpers, forms (HAL-FORMS) and errors of :mod:`gateway.web`, the
upstream client and login strategies of :mod:`gateway.upstream`, the config types of
their backend, and the unified-asset contract. Importing it loads no client-side
authentication, session, token, password or unified-view module.
"""

from gateway.config.backend import BackendConfig
from gateway.config.schema import Field, Secret, http_url, plain
from gateway.spi.adapter import Adapter, Href
from gateway.spi.assets import (
    ASSET_TYPES,
    AssetPage,
    AssetQuery,
    CollectionPage,
    UnifiedAsset,
    UnifiedCollection,
    matches,
    sort_key,
)
from gateway.spi.registry import RegistryEntry
from gateway.spi.relations import RelationDoc, curie_template
from gateway.spi.simulator import Simulator
from gateway.upstream.auth import NoAuth, StaticHeaders, UpstreamAuth
from gateway.upstream.client import UpstreamClient, UpstreamResponse
from gateway.upstream.faults import UpstreamFault, default_error_reader
from gateway.upstream.logins import LoginResult, Remembered, RenewingLogin, UpstreamSession
from gateway.web import hal
from gateway.web.bodies import CHUNK_BYTES, UPLOAD_NAME, read_json, stream_body, upload_filename
from gateway.web.errors import (
    BackendBusy,
    BackendOpen,
    BadRequest,
    ConfigError,
    Conflict,
    Forbidden,
    GatewayError,
    MalformedBody,
    NotFound,
    NotOffered,
    PreconditionFailed,
    UnsupportedMediaType,
    UpstreamError,
    UpstreamLoginFailed,
    UpstreamStatusError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.web.halforms import MULTIPART, Form, Property
from gateway.web.params import PAGING, bool_param, int_param, page_params
from gateway.web.relay import NO_COMPRESSION, relay
from gateway.web.routing import JSON_TYPES, NO_STORE, Handler, QueryParam, Route, hal_response
from gateway.web.security import passive, relayed_headers
from gateway.web.urls import path_segment, public_base

__all__ = [
    "ASSET_TYPES",
    "CHUNK_BYTES",
    "JSON_TYPES",
    "MULTIPART",
    "NO_COMPRESSION",
    "NO_STORE",
    "PAGING",
    "UPLOAD_NAME",
    "Adapter",
    "AssetPage",
    "AssetQuery",
    "BackendBusy",
    "BackendConfig",
    "BackendOpen",
    "BadRequest",
    "CollectionPage",
    "ConfigError",
    "Conflict",
    "Field",
    "Forbidden",
    "Form",
    "GatewayError",
    "Handler",
    "Href",
    "LoginResult",
    "MalformedBody",
    "NoAuth",
    "NotFound",
    "NotOffered",
    "PreconditionFailed",
    "Property",
    "QueryParam",
    "RegistryEntry",
    "RelationDoc",
    "Remembered",
    "RenewingLogin",
    "Route",
    "Secret",
    "Simulator",
    "StaticHeaders",
    "UnifiedAsset",
    "UnifiedCollection",
    "UnsupportedMediaType",
    "UpstreamAuth",
    "UpstreamClient",
    "UpstreamError",
    "UpstreamFault",
    "UpstreamLoginFailed",
    "UpstreamResponse",
    "UpstreamSession",
    "UpstreamStatusError",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "bool_param",
    "curie_template",
    "default_error_reader",
    "hal",
    "hal_response",
    "http_url",
    "int_param",
    "matches",
    "page_params",
    "passive",
    "path_segment",
    "plain",
    "public_base",
    "read_json",
    "relay",
    "relayed_headers",
    "sort_key",
    "stream_body",
    "upload_filename",
]
