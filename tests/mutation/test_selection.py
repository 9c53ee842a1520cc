"""``make mutate``'s test selection stays whole: every mutated module has its tests, every
test named exists, and mutmut's first pass runs exactly the tests the modules name."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Final

import pytest

from tests.mutation.selection import TESTS_OF, module_of

ROOT: Final = Path(__file__).resolve().parents[2]


def _mutmut() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(config["tool"]["mutmut"])


def test_every_mutated_module_has_tests_of_its_own() -> None:
    assert sorted(TESTS_OF) == sorted(_mutmut()["only_mutate"])
    assert all(TESTS_OF.values())


def test_mutmuts_first_pass_runs_exactly_the_tests_the_modules_name() -> None:
    named = {test for tests in TESTS_OF.values() for test in tests}
    selection = _mutmut()["pytest_add_cli_args_test_selection"]
    assert sorted(selection) == sorted(named)
    assert len(selection) == len(named)


@pytest.mark.parametrize("test", sorted({t for tests in TESTS_OF.values() for t in tests}))
def test_every_named_test_exists(test: str) -> None:
    path, _, name = test.partition("::")
    source = (ROOT / path).read_text()
    assert not name or f"def {name}(" in source


@pytest.mark.parametrize(
    ("mutant", "module"),
    [
        ("gateway.web.urls.x_base_url__mutmut_3", "gateway/web/urls.py"),
        ("gateway.auth.throttle.xǁLoginThrottleǁ_keys__mutmut_10", "gateway/auth/throttle.py"),
        ("adapters.flex.metadata.x_parse__mutmut_1", "adapters/flex/metadata.py"),
    ],
)
def test_a_mutant_is_judged_by_the_tests_of_its_module(mutant: str, module: str) -> None:
    assert module_of(mutant) == module
    assert module in TESTS_OF
