"""Config parsing: shapes, defaults, environment references and every error message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.auth.passwords import hash_password
from gateway.cli import main
from gateway.config import kinds
from gateway.config import loading as config_mod
from gateway.config.schema import Secret
from gateway.config.server import ServerConfig
from gateway.web.errors import ConfigError
from tests.support.identities import CHEAP
from tests.support.paths import ROOT

FLEX = {"kind": "flex", "url": "simulator", "username": "u", "password": "p"}


def problems(data: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_mod.parse(data, env=env or {})
    return caught.value.problems


def test_defaults_fill_an_empty_file() -> None:
    config = config_mod.parse({}, env={})
    assert config.server == ServerConfig()
    assert config.server.port == 8080
    assert config.backends == {}


def test_backend_defaults_come_from_the_server_table() -> None:
    config = config_mod.parse(
        {"server": {"upstream_timeout_s": 3, "upstream_retries": 4}, "backends": {"mam": FLEX}},
        env={},
    )
    mam = config.backends["mam"]
    assert (mam.kind, mam.title, mam.timeout_s, mam.retries) == ("flex", "mam", 3.0, 4)
    assert mam.transfer_timeout_s == 3600.0
    assert "transfer_timeout_s" not in mam.options
    assert mam.simulated


def test_a_backend_may_set_its_own_circuit_breaker() -> None:
    config = config_mod.parse(
        {
            "server": {"breaker_failures": 8, "breaker_open_s": 2.5, "drain_s": 12},
            "backends": {
                "mam": FLEX,
                "fragile": {**FLEX, "breaker_failures": 0, "breaker_open_s": 30},
            },
        },
        env={},
    )
    assert config.server.drain_s == 12.0
    mam, fragile = config.backends["mam"], config.backends["fragile"]
    assert (mam.breaker_failures, mam.breaker_open_s) == (8, 2.5)
    assert (fragile.breaker_failures, fragile.breaker_open_s) == (0, 30.0)
    assert "breaker_failures" not in fragile.options
    defaults = config_mod.parse({"backends": {"mam": FLEX}}, env={})
    assert (defaults.server.breaker_failures, defaults.server.breaker_open_s) == (5, 5.0)
    assert defaults.server.drain_s == 30.0


def test_several_backends_of_one_kind_keep_their_names() -> None:
    other = {**FLEX, "url": "https://flex.example.org/", "title": "Second"}
    config = config_mod.parse({"backends": {"one": FLEX, "two": other}}, env={})
    assert list(config.backends) == ["one", "two"]
    assert config.backends["two"].url == "https://flex.example.org"
    assert config.backends["two"].title == "Second"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param({"extra": 1}, "extra: unknown key", id="unknown-top-level-key"),
        pytest.param({"server": []}, "server: must be a table", id="server-not-table"),
        pytest.param({"server": {"prot": 1}}, "server.prot: unknown key", id="unknown-server-key"),
        pytest.param(
            {"server": {"port": "x"}}, "server.port: must be an integer, got 'x'", id="port-type"
        ),
        pytest.param(
            {"server": {"port": 70000}}, "server.port: must be at most 65535", id="port-range"
        ),
        pytest.param(
            {"server": {"public_url": "ftp://x"}},
            "server.public_url: must be an http(s) URL",
            id="public-url-scheme",
        ),
        pytest.param(
            {"server": {"public_url": "https://x/?a=1"}},
            "server.public_url: must not have a query or fragment",
            id="public-url-query",
        ),
        pytest.param(
            {"server": {"trust_forwarded": "yes"}},
            "server.trust_forwarded: must be a boolean, got 'yes'",
            id="bool-type",
        ),
        pytest.param(
            {"server": {"max_body_bytes": 0}},
            "server.max_body_bytes: must be at least 1",
            id="body-limit",
        ),
        pytest.param(
            {"server": {"max_uri_bytes": 10}},
            "server.max_uri_bytes: must be at least 256",
            id="uri-limit",
        ),
        pytest.param(
            {"server": {"upstream_timeout_s": 0}},
            "server.upstream_timeout_s: must be at least 0.001",
            id="timeout",
        ),
        pytest.param(
            {"server": {"log_level": "loud"}},
            "server.log_level: must be one of 'debug', 'info', 'warning', 'error'",
            id="log-level",
        ),
        pytest.param({"backends": []}, "backends: must be a table", id="backends-not-table"),
        pytest.param(
            {"backends": {"avalon": 3}}, "backends.avalon: must be a table", id="backend-not-table"
        ),
        pytest.param(
            {"backends": {"Bad Name": FLEX}},
            "backends.Bad Name: backend names are 1-63 characters of a-z, 0-9, '-', '_', "
            "starting with a letter",
            id="backend-name",
        ),
        pytest.param(
            {"backends": {"x": {"url": "simulator"}}}, "backends.x.kind: required", id="no-kind"
        ),
        pytest.param(
            {"backends": {"x": {"kind": "vimeo", "url": "simulator"}}},
            "backends.x.kind: must be one of 'avalon', 'azure', 'flex', 'mediacentral'",
            id="unknown-kind",
        ),
        pytest.param(
            {"backends": {"x": {"kind": "flex", "username": "u", "password": "p"}}},
            "backends.x.url: required",
            id="no-url",
        ),
        pytest.param(
            {"backends": {"avalon": {**FLEX, "url": "flex.local"}}},
            'backends.avalon.url: must be an http(s) URL or "simulator"',
            id="bad-url",
        ),
        pytest.param(
            {"backends": {"x": {**FLEX, "colour": "red"}}},
            "backends.x.colour: unknown key",
            id="unknown-backend-key",
        ),
        pytest.param(
            {"backends": {"x": {"kind": "flex", "url": "simulator", "username": "u"}}},
            "backends.x.password: required",
            id="kind-credential-missing",
        ),
        pytest.param(
            {"backends": {"x": {**FLEX, "password": 12}}},
            "backends.x.password: must be a string, got (hidden)",
            id="secret-type-hidden",
        ),
        pytest.param(
            {"backends": {"x": {**FLEX, "retries": 11}}},
            "backends.x.retries: must be at most 10",
            id="retries",
        ),
        pytest.param(
            {"backends": {"x": {**FLEX, "timeout_s": -1}}},
            "backends.x.timeout_s: must be at least 0.001",
            id="backend-timeout",
        ),
        pytest.param(
            {"backends": {"x": {**FLEX, "breaker_failures": -1}}},
            "backends.x.breaker_failures: must be at least 0",
            id="backend-breaker-failures",
        ),
        pytest.param(
            {"server": {"breaker_open_s": 0}},
            "server.breaker_open_s: must be at least 0.001",
            id="breaker-open-s",
        ),
        pytest.param(
            {"server": {"drain_s": -1}},
            "server.drain_s: must be at least 0",
            id="drain-s",
        ),
        pytest.param(
            {"backends": {"x": {**FLEX, "password": "${NOPE}"}}},
            "backends.x.password: environment variable NOPE is not set and has no default",
            id="missing-env",
        ),
    ],
)
def test_every_config_problem_is_reported_with_its_key_path(
    data: dict[str, Any], expected: str
) -> None:
    assert expected in problems(data)


def test_all_problems_are_reported_at_once() -> None:
    found = problems(
        {
            "server": {"port": -1, "colour": 1},
            "backends": {"a": {"kind": "flex", "url": "x"}, "b": {"kind": "nope"}},
        }
    )
    assert found == [
        "server.colour: unknown key",
        "server.port: must be at least 0",
        'backends.a.url: must be an http(s) URL or "simulator"',
        "backends.a.username: required",
        "backends.a.password: required",
        "backends.b.kind: must be one of 'avalon', 'azure', 'flex', 'mediacentral'",
        "backends.b.url: required",
    ]


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        pytest.param("${A}", {"A": "one"}, "one", id="set"),
        pytest.param("${A:-fallback}", {}, "fallback", id="default"),
        pytest.param("${A:-fallback}", {"A": ""}, "", id="set-empty-wins"),
        pytest.param("${A:-}", {}, "", id="empty-default"),
        pytest.param("x-${A}-${B:-b}", {"A": "a"}, "x-a-b", id="several"),
        pytest.param("$${A}", {"A": "a"}, "${A}", id="escaped-dollar"),
        pytest.param("cost $5", {}, "cost $5", id="lone-dollar"),
    ],
)
def test_environment_references_expand(value: str, env: dict[str, str], expected: str) -> None:
    config = config_mod.parse({"backends": {"x": {**FLEX, "title": value}}}, env=env)
    assert config.backends["x"].title == (expected or "x")


def test_environment_values_are_parsed_as_the_key_type() -> None:
    config = config_mod.parse(
        {"server": {"port": "${PORT}", "trust_forwarded": "${TF:-true}"}}, env={"PORT": "9090"}
    )
    assert config.server.port == 9090
    assert config.server.trust_forwarded is True


def test_secrets_never_show_in_repr() -> None:
    config = config_mod.parse(
        {"backends": {"x": {**FLEX, "password": "${PW}"}}}, env={"PW": "hunter2-very-secret"}
    )
    password = config.backends["x"].options["password"]
    assert isinstance(password, Secret)
    assert password.reveal() == "hunter2-very-secret"
    assert "hunter2" not in repr(config)
    assert "hunter2" not in str(config.backends["x"])


def test_embedded_default_has_one_simulated_backend_per_kind() -> None:
    config = config_mod.load(ROOT / "config" / "gateway.toml", env={})
    assert {n: b.kind for n, b in config.backends.items()} == {
        "avalon": "avalon",
        "mediacentral": "mediacentral",
        "flex": "flex",
        "azure": "azure",
    }
    assert all(b.simulated for b in config.backends.values())
    assert (config.server.host, config.server.port) == ("127.0.0.1", 8080)


def test_production_example_needs_its_secrets_from_the_environment() -> None:
    path = ROOT / "config" / "production.example.toml"
    missing = problems_of_file(path, {})
    assert "backends.library.api_key: environment variable AVALON_API_KEY is not set" in " ".join(
        missing
    )
    env = {
        name: "set"
        for name in (
            "HALGW_PUBLIC_URL",
            "AVALON_API_KEY",
            "MEDIACENTRAL_CLIENT_ID",
            "MEDIACENTRAL_CLIENT_SECRET",
            "FLEX_OPS_USERNAME",
            "FLEX_OPS_PASSWORD",
            "FLEX_INGEST_USERNAME",
            "FLEX_INGEST_PASSWORD",
            "AZURE_CONNECTOR_TOKEN",
        )
    }
    env["HALGW_PUBLIC_URL"] = "https://media.example.org/gateway"
    env["HALGW_SIGNING_KEY"] = "k" * 32
    env["HALGW_REDIS_URL"] = "redis://redis.internal:6379/0"
    env["HALGW_OPS_PASSWORD_HASH"] = hash_password("ops", CHEAP)
    env["HALGW_INGEST_SECRET_HASH"] = hash_password("ingest", CHEAP)
    config = config_mod.load(path, env=env)
    assert not any(b.simulated for b in config.backends.values())
    assert config.session.store == "redis"
    assert config.auth.oidc is not None
    mam = config.backends["mam"]
    assert (mam.service_credentials, sorted(mam.users), mam.roles) == (
        False,
        ["ingest", "ops"],
        ("editor", "admin"),
    )
    assert "k" * 32 not in repr(config)


def problems_of_file(path: Path, env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_mod.load(path, env=env)
    return caught.value.problems


def test_unreadable_and_invalid_toml_are_config_errors(tmp_path: Path) -> None:
    assert "cannot read" in problems_of_file(tmp_path / "missing.toml", {})[0]
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\n")
    assert "not valid TOML" in problems_of_file(bad, {})[0]


def test_config_file_is_chosen_by_argument_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = tmp_path / "named.toml"
    monkeypatch.setenv(config_mod.ENV_VAR, str(named))
    assert config_mod.resolve_path() == named
    assert config_mod.resolve_path(tmp_path / "arg.toml") == tmp_path / "arg.toml"
    monkeypatch.delenv(config_mod.ENV_VAR)
    monkeypatch.chdir(ROOT)
    assert config_mod.resolve_path() == config_mod.DEFAULT_PATH


def test_check_config_exits_2_listing_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gw.toml"
    path.write_text('[server]\nport = "http"\n[backends.avalon]\nkind = "avalon"\nurl = "x"\n')
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "server.port: must be an integer, got 'http'" in err
    assert 'backends.avalon.url: must be an http(s) URL or "simulator"' in err
    assert "backends.avalon.api_key: required" in err


def test_check_config_accepts_the_embedded_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(ROOT / "config" / "gateway.toml")]) == 0
    assert "OK (4 backends" in capsys.readouterr().out


def test_serve_refuses_a_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gw.toml"
    path.write_text("[server]\nport = -5\n")
    assert main(["serve", "--config", str(path)]) == 2
    assert "server.port: must be at least 0" in capsys.readouterr().err


def test_a_kinds_cross_key_problems_are_reported_like_any_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gw.toml"
    path.write_text('[backends.news]\nkind = "mediacentral"\nurl = "simulator"\nauth = "mcux"\n')
    assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert 'backends.news.username: required when auth = "mcux"' in err
    assert "Traceback" not in err


def test_a_simulated_backend_of_a_kind_without_a_simulator_is_a_config_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kinds, "simulated_kinds", lambda: ("avalon",))
    real = {**FLEX, "url": "https://flex.example.org"}
    assert config_mod.parse({"backends": {"mam": real}}, env={}).backends["mam"].kind == "flex"
    assert problems({"backends": {"mam": FLEX}}) == [
        "backends.mam.url: no simulator of kind flex is installed"
    ]
