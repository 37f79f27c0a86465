"""Every Docker command goes through the one client (`ragctl/docker/`): no other module
builds its own `docker ...` argument list, so none can talk to an engine it was not given;
and its failures say what went wrong: no such object, or no engine to ask."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from helpers import require, wait_until

from ragctl.docker import (
    Build,
    Docker,
    DockerError,
    Engine,
    EngineUnreachable,
    NoSuchObject,
    Run,
    classify,
)

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "ragctl" / "docker"
CHECKED = ("ragctl", "bench", "rig", "tests", "api", "src", "model_export")
# Modules that use the client's typed methods only: its raw `run` is for the tests.
TYPED_ONLY = ("ragctl", "bench", "rig")
RAW_METHODS = {"run", "ok", "argv"}
NOTHING_LISTENS = "unix:///tmp/nothing-here.sock"
BASE = "python:3.11-slim-bookworm"  # the base every image here is built from: always present


def _bare_docker_argv(tree: ast.AST) -> list[int]:
    """Lines where a list, tuple or call starts with the literal "docker"."""
    found = []
    for node in ast.walk(tree):
        first = None
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            first = node.elts[0]
        elif isinstance(node, ast.Call) and node.args:
            first = node.args[0]
        if isinstance(first, ast.Constant) and first.value == "docker":
            found.append(node.lineno)
    return found


def test_no_module_but_the_client_builds_a_docker_command() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in CHECKED
        for path in sorted((ROOT / folder).rglob("*.py"))
        if CLIENT not in path.parents and path != Path(__file__).resolve()
        for line in _bare_docker_argv(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_the_check_finds_a_bare_docker_argv() -> None:
    assert _bare_docker_argv(ast.parse('run(["docker", "ps"])\nPopen(("docker", "x"))')) == [1, 2]
    assert _bare_docker_argv(ast.parse('FILES = ("Dockerfile", "docker")')) == []


@pytest.mark.parametrize(
    ("address", "argv"),
    [
        ("local", ["docker", "ps"]),
        ("ssh://deploy@server", ["docker", "-H", "ssh://deploy@server", "ps"]),
        ("context:prod", ["docker", "--context", "prod", "ps"]),
    ],
)
def test_client_puts_its_engine_on_every_command(address: str, argv: list[str]) -> None:
    assert Docker(Engine(address)).argv("ps") == argv


def test_client_failure_carries_command_exit_code_and_stderr() -> None:
    from ragctl.errors import CommandError

    docker = Docker(Engine("unix:///run/no-such-engine.sock"))
    with pytest.raises(CommandError) as raised:
        docker.run("info")
    error = raised.value
    assert error.args_list[:3] == ["docker", "-H", "unix:///run/no-such-engine.sock"]
    assert error.returncode != 0 and "no-such-engine" in error.stderr


def _raw_docker_calls(tree: ast.AST) -> list[int]:
    """Lines calling a Docker client's raw `run`, `ok` or `argv` (a receiver named docker)."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in RAW_METHODS
        and ast.unparse(node.func.value).lower().endswith(("docker", "docker()", "composer"))
    ]


def test_no_module_passes_raw_docker_arguments_to_the_client() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in TYPED_ONLY
        for path in sorted((ROOT / folder).rglob("*.py"))
        if CLIENT not in path.parents
        for line in _raw_docker_calls(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_raw_call_check_finds_a_raw_call() -> None:
    found = _raw_docker_calls(ast.parse('self.docker.run("ps")\nDocker().ok("info")\nload.run(1)'))
    assert found == [1, 2]


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        ("Error response from daemon: No such container: rag-api", NoSuchObject),
        ("Error: No such container: rag-api", NoSuchObject),
        ("Error response from daemon: no such image: x:1: No such image: x:1", NoSuchObject),
        ("Error: No such object: rag-api", NoSuchObject),
        ("Error response from daemon: network backend not found", NoSuchObject),
        ('ERROR: no builder "nope" found', NoSuchObject),
        (
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
            "Is the docker daemon running?",
            EngineUnreachable,
        ),
        (
            'error during connect: Get "http://docker.example.com/v1.47/info": command '
            "[ssh -- deploy@server docker system dial-stdio] has exited with exit status 255",
            EngineUnreachable,
        ),
        (
            "permission denied while trying to connect to the Docker daemon socket at "
            "unix:///var/run/docker.sock: dial unix /var/run/docker.sock: connect: "
            "permission denied",
            EngineUnreachable,
        ),
        (
            'Failed to initialize: unable to resolve docker endpoint: context "prod": '
            "context not found: open /root/.docker/contexts/meta/x/meta.json: no such file",
            EngineUnreachable,
        ),
        ("docker: 'buildx' is not a docker command.", DockerError),
        (
            "Error response from daemon: conflict: unable to remove repository reference",
            DockerError,
        ),
    ],
)
def test_classify_maps_stderr_to_its_error_kind(stderr: str, kind: type[DockerError]) -> None:
    error = classify(["docker", "x"], 1, "", stderr, "local")
    assert type(error) is kind
    assert error.returncode == 1 and error.stderr == stderr and error.exit_code == 2


def test_classify_names_the_engine_when_it_is_unreachable() -> None:
    stderr = "Cannot connect to the Docker daemon at tcp://h:2375. Is the docker daemon running?"
    error = classify(["docker", "ps"], 1, "", stderr, "tcp://h:2375")
    assert error.message == "the Docker engine tcp://h:2375 is unreachable"
    assert "dockerd" in error.hint and "Cannot connect" in error.details


@pytest.fixture()
def docker_cli() -> None:
    """The docker CLI alone: these tests need no engine, only the client's answer."""
    require(shutil.which("docker") is not None, "the docker CLI is not installed")


def _down() -> Docker:
    return Docker(env={**os.environ, "DOCKER_HOST": NOTHING_LISTENS})


def _ragctl_on_nothing(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": NOTHING_LISTENS, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ragctl", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_container_inspect_raises_engine_unreachable_when_nothing_listens(docker_cli: None) -> None:
    with pytest.raises(EngineUnreachable) as raised:
        _down().container_inspect("rag-api")
    assert raised.value.engine == NOTHING_LISTENS


def test_image_exists_raises_engine_unreachable_when_nothing_listens(docker_cli: None) -> None:
    with pytest.raises(EngineUnreachable):
        _down().image_exists("rag-api:latest")


def test_remove_container_raises_engine_unreachable_when_nothing_listens(docker_cli: None) -> None:
    with pytest.raises(EngineUnreachable):
        _down().remove_container("rag-api")


def test_versions_exits_non_zero_when_the_engine_is_unreachable(docker_cli: None) -> None:
    done = _ragctl_on_nothing("versions", "--no-ecr", "--name", "rag-api")
    assert done.returncode == 2
    assert f"the Docker engine {NOTHING_LISTENS} is unreachable" in done.stderr
    assert "nothing deployed" not in done.stdout + done.stderr


def test_versions_json_reports_the_unreachable_engine_as_an_error(docker_cli: None) -> None:
    done = _ragctl_on_nothing("--json", "versions", "--no-ecr", "--name", "rag-api")
    assert done.returncode == 2
    error = json.loads(done.stdout)
    assert error["error"] == f"the Docker engine {NOTHING_LISTENS} is unreachable"
    assert "Cannot connect to the Docker daemon" in error["details"]


def test_doctor_fails_its_engine_check_when_the_engine_is_unreachable(docker_cli: None) -> None:
    done = _ragctl_on_nothing("--json", "doctor")
    assert done.returncode == 1
    checks = json.loads(done.stdout)["checks"]
    assert [(c["name"], c["verdict"]) for c in checks] == [("engine", "fail")]


def test_container_inspect_returns_none_when_missing(docker_engine: None) -> None:
    assert Docker().container_inspect("rag-api-test-no-such-container") is None
    assert not Docker().image_exists("rag-api-test-no-such-image:v0")


def test_run_options_spell_every_setting() -> None:
    run = Run(
        "img:1",
        name="c",
        publish=("8000:8000",),
        restart="unless-stopped",
        labels={"a": "b"},
        volumes=("data:/d",),
        memory="4g",
        network="net",
        network_aliases=("rag",),
        env_file=Path("x.env"),
        env={"K": "V"},
        entrypoint="python",
        command=("-c", "pass"),
    )
    assert run.options() == [
        *("--name", "c", "-p", "8000:8000", "--restart", "unless-stopped", "--label", "a=b"),
        *("-v", "data:/d", "--memory", "4g", "--memory-swap", "4g", "--network", "net"),
        *("--network-alias=rag", "--env-file", "x.env", "-e", "K=V", "--entrypoint", "python"),
        *("img:1", "-c", "pass"),
    ]


def test_build_options_spell_every_setting() -> None:
    build = Build(
        context=Path("src"),
        dockerfile=Path("src/Dockerfile"),
        tags=("i:v1", "i:latest"),
        labels={"l": "1"},
        secrets={"ca_bundle": "/ca.pem"},
        build_args={"WITH_HEAVY": "1"},
        cache_from=("type=registry,ref=r",),
        target="deps",
    )
    assert build.options() == [
        *("--progress=plain", "--load", "-f", "src/Dockerfile", "--target", "deps"),
        *("-t", "i:v1", "-t", "i:latest"),
        *("--label", "l=1", "--secret", "id=ca_bundle,src=/ca.pem"),
        *("--build-arg", "WITH_HEAVY=1", "--cache-from", "type=registry,ref=r", "src"),
    ]


def test_container_methods_for_a_switch_act_on_a_real_container(docker_engine: None) -> None:
    docker, name = Docker(), f"rag-api-test-{uuid.uuid4().hex[:8]}"
    docker.ensure_network(name)
    docker.ensure_network(name)  # already there: no failure
    script = (
        "import signal, sys, time; "
        "signal.signal(signal.SIGUSR2, lambda *_: sys.exit(75)); "
        "print('up', flush=True); time.sleep(60)"
    )
    run = Run(BASE, name=name, network=name, command=("python", "-c", script))
    try:
        docker.start_container(run)
        assert docker.try_exec(name, "python", "-c", "print(6 * 7)") == "42\n"
        assert docker.try_exec(name, "python", "-c", "raise SystemExit(1)") is None
        assert docker.exit_code(name) is None  # it runs
        docker.set_restart(name, "unless-stopped")
        inspected = docker.container_inspect(name)
        assert inspected is not None
        assert inspected["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
        docker.set_restart(name, "no")
        docker.signal(name, "SIGUSR2")
        wait_until(lambda: docker.exit_code(name) == 75, 30, "the signal's exit")
    finally:
        docker.remove_container(name)
        docker.remove_network(name)
    assert not docker.ok("network", "inspect", name)
