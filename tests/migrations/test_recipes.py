"""`just migrate` and `just revision`: documented in `just --list`, wired to the right commands,
working with no server configured and one line when the server is unreachable."""

import json
import os
import subprocess
import sys

import pytest

from devstack.app_process import PROJECT_ROOT
from tests.commands import HANG_GUARD_SECONDS, run_command
from tests.containers.tools import tool
from tests.forked_processes import run_forked


def just(*args: str) -> subprocess.CompletedProcess[str]:
    return run_command([tool("just"), *args], env={**os.environ, "UV": "uv"})


@pytest.mark.parametrize(
    ("recipe", "command"),
    [
        (["migrate"], "uv run --locked python -m devstack.migrations upgrade"),
        # The message reaches Alembic as one argument, whatever quotes or `$` it holds.
        (
            ["revision", 'it\'s "$HOME"'],
            'uv run --locked python -m devstack.migrations revision "$1"',
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


def without_server_settings() -> dict[str, str]:
    """This environment with no PostgreSQL named: a user on the quick-start path."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTGRES_")}
    return {**env, "ENV_FILE": ""}


def run_migrations_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "devstack.migrations", *args]
    return run_forked(argv, cwd=PROJECT_ROOT, env=env, timeout=HANG_GUARD_SECONDS)


@pytest.mark.slow  # starts a PostgreSQL server
def test_migrate_with_no_server_named_checks_the_migrations_on_a_throwaway_server() -> None:
    result = run_migrations_command("upgrade", env=without_server_settings())

    assert result.returncode == 0, result.stderr
    assert "using a throwaway PostgreSQL 18" in result.stdout
    assert "Running upgrade  -> " in result.stderr
    assert "The migrations apply cleanly" in result.stdout


def test_revision_against_an_unreachable_server_is_one_line(refused_port: int) -> None:
    env = {
        **without_server_settings(),
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": str(refused_port),
    }

    result = run_migrations_command("revision", "never written", env=env)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Revision failed: PostgreSQL at 127.0.0.1:{env['POSTGRES_PORT']}/syncdesk_db is "
        "unavailable: no connection (ConnectionRefusedError)"
    ]
