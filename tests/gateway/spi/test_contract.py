"""The adapter contract: light to import, complete, and checked when a kind is defined."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gateway.spi
from gateway.spi import Adapter

# Modules that face clients, or are the unified view: an adapter needs none of them.
HEAVY = (
    "gateway.auth",
    "gateway.unified",
    "gateway.api",
    "gateway.backends",
    "gateway.app",
    "gateway.config.auth",
    "gateway.config.hashes",
    "gateway.config.loading",
    "aiohttp_session",
    "joserfc",
    "adapters",
)


def _modules_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``statement``."""
    code = f"{statement}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


def test_importing_the_spi_loads_no_auth_session_token_password_or_unified_module() -> None:
    loaded = _modules_after("import gateway.spi")
    assert "gateway.spi.adapter" in loaded
    assert "gateway.upstream.client" in loaded
    heavy = sorted(m for m in loaded if m.startswith(HEAVY))
    assert heavy == []
    assert not [m for m in loaded if m.split(".")[-1] in ("passwords", "tokens", "sessions")]


def test_importing_an_adapter_loads_no_core_module_beyond_the_spi() -> None:
    loaded = _modules_after("import adapters.avalon")
    assert "adapters.avalon.adapter" in loaded
    core = {m for m in loaded if m.startswith("gateway.")}
    allowed = (
        *("gateway.spi", "gateway.web", "gateway.upstream", "gateway.state"),
        *("gateway.config.backend", "gateway.config.schema", "gateway.config"),
    )
    assert sorted(m for m in core if not m.startswith(allowed)) == []


def test_every_exported_name_exists() -> None:
    missing = [name for name in gateway.spi.__all__ if not hasattr(gateway.spi, name)]
    assert missing == []
    assert sorted(gateway.spi.__all__) == sorted(set(gateway.spi.__all__))


@pytest.mark.parametrize(
    ("attributes", "missing"),
    [
        pytest.param({"curie": "x"}, "kind", id="no-kind"),
        pytest.param({"kind": "x"}, "curie", id="no-curie"),
        pytest.param({"kind": "X Y", "curie": "x"}, "kind", id="kind-not-a-name"),
        pytest.param({"kind": "x", "curie": 3}, "curie", id="curie-not-a-string"),
    ],
)
def test_a_kind_without_its_name_or_curie_is_refused_when_defined(
    attributes: dict[str, object], missing: str
) -> None:
    with pytest.raises(TypeError, match=rf"\.{missing} must be a lower-case name"):
        type("Broken", (Adapter,), dict(attributes))


def test_a_kind_with_name_and_curie_is_accepted() -> None:
    kind = type("Fine", (Adapter,), {"kind": "fine", "curie": "fine"})
    assert issubclass(kind, Adapter)
