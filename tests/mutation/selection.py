"""Which tests run against the mutants of each module in ``make mutate``.

mutmut runs, against each mutant, every selected test that reached the mutated function
in its first pass. Most HTTP tests pass through negotiation, the public URLs, the access
middleware and the token service, so a mutant of those would be run against hundreds of
tests that are not about it, and the run would take hours. Each module's mutants are
judged by that module's own tests instead: :func:`pytest_collection_modifyitems` (a hook
of ``tests/conftest.py``) deselects the rest while a mutant is under test. It does
nothing otherwise, so ``make test`` and mutmut's first pass see every test.

``[tool.mutmut] pytest_add_cli_args_test_selection`` in ``pyproject.toml`` holds the
union of these lists, for mutmut's first pass; ``tests/mutation/test_selection.py``
keeps the two in step.
"""

from __future__ import annotations

import os
from typing import Final

import pytest

TESTS_OF: Final[dict[str, tuple[str, ...]]] = {
    "gateway/auth/access.py": (
        "tests/gateway/auth/test_access.py",
        "tests/gateway/auth/test_csrf_form.py",
        "tests/gateway/auth/test_hostile_credentials.py",
        "tests/gateway/web/test_logformat.py",
    ),
    "gateway/auth/sessions.py": (
        "tests/gateway/auth/test_sessions.py",
        "tests/gateway/auth/test_redis_sessions.py",
        "tests/gateway/auth/test_csrf_form.py",
        "tests/gateway/auth/test_auth_login.py",
        "tests/gateway/auth/test_hostile_credentials.py",
        # The sessions kept in Redis, in-process (the file's other tests run processes).
        "tests/gateway/state/test_redis.py::test_an_unreachable_redis_is_a_503_problem_without_its_address",
        "tests/gateway/state/test_redis.py::test_the_redis_store_keeps_values_and_windows_under_its_prefix",
        "tests/gateway/state/test_redis.py::test_gateways_with_other_key_prefixes_share_nothing",
    ),
    "gateway/auth/throttle.py": (
        "tests/gateway/auth/test_throttle.py",
        "tests/gateway/auth/test_auth_login.py",
        "tests/gateway/auth/test_hostile_credentials.py",
        "tests/gateway/web/test_urls.py",
    ),
    "gateway/auth/tokens.py": (
        "tests/gateway/auth/test_auth_token.py",
        "tests/gateway/auth/test_auth_login.py",
        "tests/gateway/auth/test_oidc.py",
        "tests/gateway/auth/test_refresh.py",
        "tests/gateway/auth/test_revoke.py",
        "tests/gateway/auth/test_hostile_credentials.py",
    ),
    "gateway/unified/cursor.py": (
        "tests/gateway/unified/test_cursor.py",
        "tests/gateway/unified/test_fanout.py",
        "tests/gateway/unified/test_unified.py::test_a_changed_or_borrowed_cursor_is_a_400",
    ),
    "gateway/upstream/retries.py": (
        "tests/gateway/upstream/test_retries.py",
        "tests/gateway/upstream/test_upstream.py",
        # Not the tests of test_budget.py that time the client: two mutants at once on a
        # busy machine would fail them for slowness, passing a mutant off as killed.
        "tests/gateway/upstream/test_budget.py::test_retry_after_in_seconds_is_waited_for_within_the_budget",
        "tests/gateway/upstream/test_budget.py::test_a_retry_after_in_the_past_is_no_wait",
        "tests/gateway/upstream/test_budget.py::test_urls_go_out_exactly_as_built",
        "tests/gateway/upstream/test_budget.py::test_dot_segments_never_go_out",
    ),
    "gateway/web/negotiation.py": (
        "tests/gateway/web/test_negotiation.py",
        "tests/gateway/web/test_head.py",
    ),
    "gateway/web/relay.py": (
        "tests/gateway/web/test_relay.py",
        "tests/adapters/flex/test_flex_relayed.py",
    ),
    "gateway/web/statuses.py": (
        "tests/gateway/web/test_statuses.py",
        "tests/gateway/upstream/test_upstream.py",
    ),
    "gateway/web/urls.py": (
        "tests/gateway/web/test_urls.py",
        "tests/gateway/web/test_dot_segments.py",
        "tests/gateway/web/test_hosts.py",
    ),
    "adapters/flex/metadata.py": ("tests/adapters/flex/test_flex_metadata.py",),
}
"""The tests of each mutated module: test files, or single tests by node id."""

MUTANT: Final = "__mutmut_"
"""What mutmut's names of mutants hold, and its other runs' names ("stats", "fail") not."""


def module_of(mutant: str) -> str:
    """The source path of a mutant's module: ``gateway/web/urls.py`` for
    ``gateway.web.urls.x_base_url__mutmut_3`` (mutmut's names, ``xǁClassǁmethod`` for
    methods, hold no dot after the module's)."""
    dotted = mutant[: mutant.index(MUTANT)].rpartition(".")[0]
    return dotted.replace(".", "/") + ".py"


def _chosen(nodeid: str, tests: tuple[str, ...]) -> bool:
    return any(nodeid == t or nodeid.startswith((f"{t}::", f"{t}[")) for t in tests)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """While a mutant is under test, keep only the tests of its module."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if MUTANT not in mutant:
        return
    tests = TESTS_OF.get(module_of(mutant), ())
    kept = [item for item in items if _chosen(item.nodeid, tests)]
    dropped = [item for item in items if not _chosen(item.nodeid, tests)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
