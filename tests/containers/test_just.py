"""The Docker recipes of docker/containers.just, as the justfile imports them."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from devstack.app_process import PROJECT_ROOT
from tests.commands import run_command
from tests.containers.tools import tool

FRAGMENT = PROJECT_ROOT / "docker" / "containers.just"
RECIPES = {"up", "down", "clean", "logs", "psql", "mongosh"}


def just(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_command([tool("just"), *args], env=env)


def no_engine_env() -> dict[str, str]:
    """A Docker client that answers nothing, even on a machine with an engine."""
    return {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def no_client_env(tmp_path: Path) -> dict[str, str]:
    """A PATH with a shell and no `docker` at all."""
    shell = shutil.which("sh")
    assert shell is not None
    (tmp_path / "sh").symlink_to(shell)
    return {**os.environ, "PATH": str(tmp_path)}


@pytest.mark.parametrize("make_env", ["no-engine", "no-client"])
def test_up_without_a_docker_engine_says_so_in_one_line(make_env: str, tmp_path: Path) -> None:
    env = no_engine_env() if make_env == "no-engine" else no_client_env(tmp_path)

    result = just("up", env=env)

    assert result.returncode != 0
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) == 1, lines
    assert "No Docker engine" in lines[0]
    assert "just dev" in lines[0]


def test_every_docker_recipe_has_a_doc_comment() -> None:
    dump = just("--justfile", str(FRAGMENT), "--dump", "--dump-format", "json", env={**os.environ})
    recipes = json.loads(dump.stdout)["recipes"]

    assert set(recipes) == RECIPES
    assert all(recipe["doc"] for recipe in recipes.values())


def test_justfile_lists_the_docker_recipes() -> None:
    listed = just("--list", env={**os.environ}).stdout

    for name in RECIPES:
        assert any(line.split()[:1] == [name] and "#" in line for line in listed.splitlines())
