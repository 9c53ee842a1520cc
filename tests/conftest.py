"""The suite's fixtures, offered to every test; they live in :mod:`tests.support`.

Tests import helpers and types from ``tests.support``, never from a conftest.
"""

from __future__ import annotations

from tests.mutation.selection import pytest_collection_modifyitems
from tests.support.chromium import chromium
from tests.support.fixtures import (
    gateway,
    http,
    key_prefix,
    make_config,
    redis_url,
    signed_in,
    start_simulator,
    store_config,
    upstream,
)
from tests.support.processes import process

__all__ = [
    "chromium",
    "gateway",
    "http",
    "key_prefix",
    "make_config",
    "process",
    "pytest_collection_modifyitems",
    "redis_url",
    "signed_in",
    "start_simulator",
    "store_config",
    "upstream",
]
