"""The container image and the Kubernetes manifests, against the gateway they run.

``make lint`` checks the Dockerfile with hadolint and the manifests against the
Kubernetes schemas. These tests check what neither can know: that each layout's config is
one the gateway accepts with the secrets its pod passes, that the probes and the image's
health check ask what the gateway serves where it serves it, and that the commands the
image and the pods run are ones the gateway's command line takes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
import yaml  # type: ignore[import-untyped]

from gateway.auth.passwords import hash_password
from tests.support.identities import CHEAP
from tests.support.paths import EMBEDDED_CONFIG, ROOT
from tests.support.processes import Started, start

DOCKERFILE: Final = ROOT / "Dockerfile"
KUBERNETES: Final = ROOT / "deploy" / "kubernetes"
LAYOUTS: Final = ("sidecar", "standalone")
IMAGE: Final = "hal-media-gateway"
POD_ADDRESS: Final = "10.244.1.7"
"""An address a pod might have: the kubelet's HTTP probes name it in ``Host``."""
REFERENCE: Final = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")
"""``${NAME}`` and ``${NAME:-default}`` in a config."""
PROBES: Final = ("startupProbe", "livenessProbe", "readinessProbe")
EVERY_ADDRESS: Final = "0.0.0.0"  # noqa: S104 (where a container listens, not this test)
CONTAINER_TMP: Final = "/tmp"  # noqa: S108 (a folder in the container)


# -- reading the files -------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions of the final stage: (keyword, arguments)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            instructions = []  # a new stage: only the last one is the image
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def _instruction(keyword: str) -> str:
    found = [rest for key, rest in _dockerfile() if key == keyword]
    assert len(found) == 1, f"the image's stage has {len(found)} {keyword} instructions"
    return found[0]


def _exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form instruction (a shell form is a failure)."""
    value = json.loads(arguments)
    assert isinstance(value, list), f"not in exec form: {arguments}"
    return [str(v) for v in value]


def _image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for key, rest in _dockerfile():
        if key == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                env[name] = value
    return env


def _healthcheck() -> list[str]:
    """The HEALTHCHECK's command, its options left out."""
    rest = _instruction("HEALTHCHECK")
    return _exec_form(rest[rest.index(" CMD ") + len(" CMD ") :])


@dataclass(frozen=True)
class Layout:
    """One folder of deploy/kubernetes: its gateway container and the config it serves."""

    name: str
    config: Path
    container: Mapping[str, Any]
    pod: Mapping[str, Any]

    @property
    def mount(self) -> str:
        """Where the pod mounts the ConfigMap made from ``config``."""
        kustomization = _yaml(self.config.parent / "kustomization.yaml")[0]
        generated = [
            g["name"] for g in kustomization["configMapGenerator"] if self.config.name in g["files"]
        ]
        volumes = [
            v["name"]
            for v in self.pod["volumes"]
            if v.get("configMap", {}).get("name") in generated
        ]
        mounts = [m for m in self.container["volumeMounts"] if m["name"] in volumes]
        assert len(mounts) == 1, f"{self.name}: the config is mounted {len(mounts)} times"
        return f"{mounts[0]['mountPath']}/{self.config.name}"

    def env(self) -> dict[str, str]:
        """The container's environment, each secret a made-up value that fits its key."""
        env: dict[str, str] = {}
        for var in self.container.get("env", []):
            if "value" in var:
                env[var["name"]] = var["value"]
            elif var["name"].endswith("_HASH"):
                env[var["name"]] = hash_password(secrets.token_hex(8), CHEAP)
            else:
                env[var["name"]] = secrets.token_hex(32)
        return env

    def port(self, name_or_number: str | int) -> int:
        """A probe's port: a number, or the name of one of the container's ports."""
        if isinstance(name_or_number, int):
            return name_or_number
        ports = [p for p in self.container.get("ports", []) if p["name"] == name_or_number]
        assert len(ports) == 1, f"{self.name}: no container port is named {name_or_number}"
        return int(ports[0]["containerPort"])


def _yaml(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _layout(name: str) -> Layout:
    folder = KUBERNETES / name
    kustomization = _yaml(folder / "kustomization.yaml")[0]
    (generator,) = kustomization["configMapGenerator"]
    (config,) = generator["files"]
    found: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for resource in kustomization["resources"]:
        for doc in _yaml(folder / resource):
            if doc["kind"] not in ("Deployment", "StatefulSet"):
                continue
            pod = doc["spec"]["template"]["spec"]
            for container in [*pod.get("initContainers", []), *pod["containers"]]:
                if IMAGE in container["image"]:
                    found.append((container, pod))
    assert len(found) == 1, f"{name}: {len(found)} gateway containers"
    container, pod = found[0]
    return Layout(name, folder / config, container, pod)


@pytest.fixture(params=LAYOUTS)
def layout(request: pytest.FixtureRequest) -> Layout:
    return _layout(request.param)


def _config(layout: Layout) -> dict[str, Any]:
    return tomllib.loads(layout.config.read_text())


def test_every_layout_is_found() -> None:
    folders = sorted(p.parent.name for p in KUBERNETES.glob("*/kustomization.yaml"))
    assert folders == sorted(LAYOUTS)


# -- the configs ---------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    """Every string value of a decoded TOML document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_the_pod_passes_every_variable_its_config_needs_and_no_other(layout: Layout) -> None:
    needed = {
        m[1] for text in _strings(_config(layout)) for m in REFERENCE.finditer(text) if not m[2]
    }
    given = set(layout.env())
    assert needed - given == set(), "the config references variables the pod does not set"
    assert given - needed == set(), "the pod sets variables the config does not use"
    for var in layout.container["env"]:
        if var["name"] in needed and "valueFrom" in var:
            assert set(var["valueFrom"]) == {"secretKeyRef"}


def test_the_config_passes_check_config(layout: Layout) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "check-config", str(layout.config)],
        env={**os.environ, **layout.env()},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
    assert "warning" not in result.stderr


def test_the_container_serves_the_mounted_config_where_its_layout_needs(layout: Layout) -> None:
    args = list(layout.container["args"])
    assert args[0] == "serve"
    options = dict(zip(args[1::2], args[2::2], strict=True))
    assert options["--config"] == layout.mount == _image_env()["HALGW_CONFIG"]
    server = _config(layout)["server"]
    assert options["--host"] == server["host"]
    # A sidecar is for its own pod only; a standalone gateway for the Service.
    assert server["host"] == {"sidecar": "127.0.0.1", "standalone": EVERY_ADDRESS}[layout.name]
    for port in layout.container.get("ports", []):
        assert port["containerPort"] == server["port"]
    # The application beside a sidecar is told where it listens.
    urls = [
        var["value"]
        for container in layout.pod["containers"]
        for var in container.get("env", [])
        if var.get("value", "").startswith("http://")
    ]
    assert urls == ([f"http://127.0.0.1:{server['port']}/"] if layout.name == "sidecar" else [])


def test_the_container_runs_as_the_image_user_with_a_read_only_root(layout: Layout) -> None:
    uid, gid = _instruction("USER").split(":")
    context = {**layout.pod.get("securityContext", {}), **layout.container["securityContext"]}
    assert context["runAsNonRoot"] is True
    assert (context["runAsUser"], context["runAsGroup"]) == (int(uid), int(gid))
    assert context["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in layout.container["volumeMounts"]}
    assert CONTAINER_TMP in mounts  # multipart forms spill to temporary files


# -- the probes, against a running gateway ---------------------------------------------------


def _local_config(layout: Layout, folder: Path, redis_url: str) -> Path:
    """The layout's config with every upstream served by its simulator, Redis the suite's."""
    text = re.sub(r'(?m)^url = "https?://[^"]*"', 'url = "simulator"', layout.config.read_text())
    prefix = f"deploy:{secrets.token_hex(6)}:"
    text = re.sub(
        r"(?m)^redis_url = .*$", f'redis_url = "{redis_url}"\nkey_prefix = "{prefix}"', text
    )
    path = folder / "gateway.toml"
    path.write_text(text)
    return path


@pytest.fixture
def served(
    layout: Layout, tmp_path: Path, process: Started, request: pytest.FixtureRequest
) -> Iterator[tuple[Layout, int, dict[str, str]]]:
    """The layout's gateway on a loopback port; its port and environment."""
    uses_redis = _config(layout).get("session", {}).get("store") == "redis"
    redis_url = request.getfixturevalue("redis_url") if uses_redis else ""
    path = _local_config(layout, tmp_path, redis_url)
    env = layout.env()
    log = tmp_path / "gateway.log"
    args = ("serve", "--config", str(path), "--host", "127.0.0.1", "--port", "0")
    _, url = start(process, *args, env=env, log=log)
    yield layout, int(url.rsplit(":", 1)[1].strip("/")), env
    logged = log.read_text()
    assert not [name for name, value in env.items() if value in logged], "a secret was logged"


def _passes(probe: Mapping[str, Any], layout: Layout, port: int) -> bool:
    """Whether the probe passes, run as the kubelet runs it, on the gateway at ``port``."""
    if "exec" in probe:
        command = list(probe["exec"]["command"])
        assert command[0] == "python"
        result = subprocess.run(
            [sys.executable, *command[1:]],
            env={**os.environ, "HALGW_PORT": str(port)},
            capture_output=True,
            timeout=probe.get("timeoutSeconds", 1) + 5,
            check=False,
        )
        return result.returncode == 0
    get = probe["httpGet"]
    assert layout.port(get["port"]) == _config(layout)["server"]["port"]
    # The kubelet names the pod's address and the container's port in Host.
    host = f"{POD_ADDRESS}:{layout.port(get['port'])}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{get['path']}")
    request.add_unredirected_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status: int = response.status
            return 200 <= status < 400
    except urllib.error.HTTPError:
        return False


def _path(probe: Mapping[str, Any]) -> str:
    if "httpGet" in probe:
        return str(probe["httpGet"]["path"])
    code = probe["exec"]["command"][-1]
    found = re.search(r"/(healthz|readyz)'", code)
    assert found is not None, code
    return "/" + found[1]


def test_the_probes_ask_for_liveness_and_readiness(layout: Layout) -> None:
    paths = {name: _path(layout.container[name]) for name in PROBES}
    assert paths == {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }


def test_every_probe_passes_against_the_gateway_it_probes(
    served: tuple[Layout, int, dict[str, str]],
) -> None:
    layout, port, _ = served
    for name in PROBES:
        probe = layout.container[name]
        # As the kubelet does: again each period, until the failure threshold. /readyz
        # passes once every backend answered its first probe.
        deadline = time.monotonic() + 10
        while not _passes(probe, layout, port):
            assert time.monotonic() < deadline, f"{name} of {layout.name} does not pass"
            time.sleep(0.2)


# -- the image ---------------------------------------------------------------------------------


def test_the_image_healthcheck_passes_while_the_gateway_serves_and_not_after(
    process: Started,
) -> None:
    command = _healthcheck()
    assert command[0] == "python"
    proc, url = start(
        process, "serve", "--config", str(EMBEDDED_CONFIG), "--host", "127.0.0.1", "--port", "0"
    )
    env = {**os.environ, "HALGW_PORT": url.rsplit(":", 1)[1].strip("/")}

    def check() -> int:
        return subprocess.run(
            [sys.executable, *command[1:]], env=env, capture_output=True, timeout=10, check=False
        ).returncode

    assert check() == 0
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert check() != 0


def test_the_image_listens_where_its_healthcheck_and_the_manifests_look() -> None:
    (exposed,) = _instruction("EXPOSE").split()
    assert "'HALGW_PORT', '8080'" in _healthcheck()[-1]
    assert int(exposed) == 8080 == _config(_layout("standalone"))["server"]["port"]
    assert _config(_layout("sidecar"))["server"]["port"] == 8080


def test_the_image_command_is_one_the_command_line_takes() -> None:
    entrypoint = _exec_form(_instruction("ENTRYPOINT"))
    command = _exec_form(_instruction("CMD"))
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entrypoint == ["hal-gateway"]
    assert scripts["hal-gateway"] == "gateway.cli:main"
    assert command == ["serve", "--host", EVERY_ADDRESS]
    # The image names no config of its own: the one HALGW_CONFIG names must be mounted.
    # Run with the image's environment, the command gets as far as reading that file.
    config = _image_env()["HALGW_CONFIG"]
    assert not Path(config).exists()
    result = subprocess.run(
        [sys.executable, "-m", "gateway", *command],
        env={**os.environ, "HALGW_CONFIG": config},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert f"{config}: cannot read" in result.stderr
    assert "usage:" not in result.stderr
