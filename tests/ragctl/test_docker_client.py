"""Every Docker command goes through the one client (`ragctl/docker.py`): no other module
builds its own `docker ...` argument list, so none can talk to an engine it was not given."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ragctl.docker import Docker, Engine

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "ragctl" / "docker.py"
CHECKED = ("ragctl", "bench", "rig", "tests", "api", "src", "model_export")


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
        if path not in (CLIENT, Path(__file__).resolve())
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
