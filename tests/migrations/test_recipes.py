"""`just migrate` and `just revision`: documented in `just --list`, wired to the right commands."""

import json
import os
import subprocess

import pytest

from tests.commands import run_command
from tests.containers.tools import tool


def just(*args: str) -> subprocess.CompletedProcess[str]:
    return run_command([tool("just"), *args], env={**os.environ, "UV": "uv"})


@pytest.mark.parametrize(
    ("recipe", "command"),
    [
        (["migrate"], "uv run --locked python -m app.migrations"),
        # The message reaches Alembic as one argument, whatever quotes or `$` it holds.
        (
            ["revision", 'it\'s "$HOME"'],
            'uv run --locked python -m app.migrations.autogenerate "$1"',
        ),
    ],
)
def test_recipe_runs_its_command(recipe: list[str], command: str) -> None:
    result = just("--dry-run", *recipe)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == command


def test_migration_recipes_have_doc_comments() -> None:
    recipes = json.loads(just("--dump", "--dump-format", "json").stdout)["recipes"]

    assert recipes["migrate"]["doc"]
    assert recipes["revision"]["doc"]
    assert "positional-arguments" in recipes["revision"]["attributes"]
