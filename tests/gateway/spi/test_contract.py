"""The adapter contract: light to import, the only door to the core, checked when a kind is made."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.avalon import AvalonAdapter
from adapters.azure import AzureAdapter
from adapters.flex import FlexAdapter
from adapters.mediacentral import MediaCentralAdapter
from gateway.config.kinds import KindRules
from gateway.spi import Adapter, UpstreamFault
from tests.support.paths import ROOT

KINDS = ("avalon", "azure", "flex", "mediacentral")

# What ``import gateway.spi`` may load of the core: the toolkit, the upstream client, the
# state store, and of the configuration only the two modules that describe a backend.
SPI_REACH = ("gateway.spi", "gateway.web.", "gateway.upstream.", "gateway.state.")
SPI_CONFIG = {"gateway", "gateway.web", "gateway.upstream", "gateway.state", "gateway.config"}
SPI_CONFIG |= {"gateway.config.backend", "gateway.config.schema"}


def _modules_after(statement: str) -> set[str]:
    """The modules a fresh interpreter in the checkout holds after running ``statement``."""
    code = f"{statement}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=ROOT,
    )
    return set(out.stdout.split())


def _beyond_the_spi(loaded: set[str]) -> list[str]:
    core = {m for m in loaded if m == "gateway" or m.startswith("gateway.")}
    return sorted(m for m in core if m not in SPI_CONFIG and not m.startswith(SPI_REACH))


def test_importing_the_spi_loads_no_auth_session_token_password_or_unified_module() -> None:
    loaded = _modules_after("import gateway.spi")
    assert {"gateway.spi.adapter", "gateway.upstream.client", "gateway.config.backend"} <= loaded
    assert _beyond_the_spi(loaded) == []
    assert not {"aiohttp_session", "joserfc"} & loaded
    assert not [m for m in loaded if m.startswith("adapters")]


@pytest.mark.parametrize("module", [f"adapters.{k}" for k in KINDS])
def test_an_adapter_loads_nothing_of_the_core_beyond_the_spi_and_no_simulator(
    module: str,
) -> None:
    loaded = _modules_after(f"import {module}")
    assert f"{module}.adapter" in loaded
    assert _beyond_the_spi(loaded) == []
    simulators = [m for m in loaded if m.startswith("adapters.") and ".simulat" in m]
    assert simulators == []


@pytest.mark.parametrize("module", [f"adapters.{k}.simulator" for k in KINDS])
def test_a_simulator_loads_nothing_of_the_core_beyond_the_spi(module: str) -> None:
    loaded = _modules_after(f"import {module}")
    assert f"{module}.server" in loaded
    assert _beyond_the_spi(loaded) == []


def test_the_kind_defined_outside_the_core_imports_only_the_spi() -> None:
    imported: set[str] = set()
    for path in (ROOT / "tests" / "support" / "extra_kind").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    core = sorted(m for m in imported if m.split(".")[0] == "gateway")
    assert core == ["gateway.spi"]


def test_every_kind_answers_what_the_configuration_asks() -> None:
    # Typed as the configuration sees a kind: mypy checks each adapter against KindRules.
    kinds: tuple[type[KindRules], ...] = (AvalonAdapter, AzureAdapter, FlexAdapter)
    kinds += (MediaCentralAdapter,)
    for kind in kinds:
        assert isinstance(kind.config_fields, tuple)
        assert isinstance(kind.personal_keys({}), tuple)


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        pytest.param({"curie": "x"}, r"\.kind must be a lower-case name", id="no-kind"),
        pytest.param({"kind": "x"}, r"\.curie must be a lower-case name", id="no-curie"),
        pytest.param(
            {"kind": "X Y", "curie": "x"}, r"\.kind must be a lower-case name", id="bad-kind"
        ),
        pytest.param(
            {"kind": "x", "curie": 3}, r"\.curie must be a lower-case name", id="curie-not-str"
        ),
        pytest.param(
            {"kind": "x", "curie": "x", "read_upstream_error": lambda self, s, c, b: None},
            r"read_upstream_error must be a staticmethod",
            id="reader-as-instance-method",
        ),
    ],
)
def test_a_kind_that_breaks_the_contract_is_refused_when_defined(
    attributes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(TypeError, match=problem):
        type("Broken", (Adapter,), dict(attributes))


def test_a_kind_reading_errors_its_own_way_is_accepted_and_the_base_cannot_be_built() -> None:
    class Fine(Adapter):
        kind = "fine"
        curie = "fine"

        @staticmethod
        def read_upstream_error(status: int, content_type: str, body: bytes) -> UpstreamFault:
            return UpstreamFault([body.decode()])

    assert Fine.read_upstream_error(500, "text/plain", b"broken").messages == ["broken"]
    with pytest.raises(TypeError, match="build a kind's subclass"):
        Adapter(None, None)  # type: ignore[arg-type]


def test_paths_are_the_checkout() -> None:
    assert (ROOT / "pyproject.toml").is_file()
    assert Path(__file__).is_relative_to(ROOT)
