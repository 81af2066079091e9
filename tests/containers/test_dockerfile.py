"""docker/Dockerfile and .dockerignore, checked without building: hadolint and their structure."""

import re
import subprocess
from pathlib import Path

import pytest

from devstack.app_process import PROJECT_ROOT
from tests.commands import run_command
from tests.containers.dockerfile import DOCKERFILE, stages
from tests.containers.tools import tool

FIXTURES = Path(__file__).parent / "fixtures"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return run_command([tool("hadolint"), "--no-color", path])


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = hadolint(DOCKERFILE)

    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_careless_dockerfile() -> None:
    result = hadolint(FIXTURES / "careless.Dockerfile")

    assert result.returncode != 0
    assert "DL3007" in result.stdout  # FROM ...:latest


def test_base_image_is_slim_python_pinned_to_a_minor() -> None:
    assert re.fullmatch(r"python:3\.1[12]-slim(-\w+)?", stages()["base"].base)


def test_uv_is_pinned() -> None:
    (install,) = stages()["uv"].arguments("RUN")

    assert re.search(r"pip install --no-cache-dir uv==\d+\.\d+\.\d+$", install)


@pytest.mark.parametrize(("name", "group_flag"), [("builder", "--no-dev"), ("dev", "--all-groups")])
def test_dependencies_install_from_the_lock_before_the_source_is_copied(
    name: str, group_flag: str
) -> None:
    stage = stages()[name]
    lock = stage.index("COPY", "pyproject.toml uv.lock")
    sync = stage.index("RUN", "--mount=type=cache")
    command = stage.instructions[sync][1]

    assert lock < sync
    assert command.endswith(f"uv sync --frozen --no-install-project {group_flag}".strip())
    if name == "dev":
        assert sync < stage.index("COPY", "app/")


def test_runtime_image_holds_the_built_venv_and_compiled_source() -> None:
    runtime = stages()["runtime"]

    assert runtime.base == "base"
    assert runtime.index("COPY", "--from=builder") < runtime.index("COPY", "app/")
    assert runtime.arguments("RUN") == ["python -m compileall -q app docker"]


def test_runtime_image_holds_the_migrations_and_their_config() -> None:
    copied = stages()["runtime"].arguments("COPY")

    assert "app/ app/" in copied  # app/migrations: env.py and versions/
    assert "alembic.ini ./" in copied  # found beside app/, at /app/alembic.ini


@pytest.mark.parametrize("name", ["dev", "runtime"])
def test_image_runs_as_the_unprivileged_app_user(name: str) -> None:
    assert stages()[name].arguments("USER")[-1] == "1000:1000"
    assert "useradd --create-home --uid 1000 --user-group app" in stages()["base"].arguments("RUN")


def test_default_target_serves_the_app_on_all_interfaces() -> None:
    final = list(stages().values())[-1]

    assert final.name == "runtime"
    # Inside the container, all interfaces is the point: the port is published from outside.
    all_interfaces = "0.0.0.0"  # noqa: S104
    serve = ["python", "-m", "app.serve"]
    assert final.command == [*serve, "--host", all_interfaces, "--port", "8000"]


def test_dev_target_serves_with_reload_on_the_runtime_address() -> None:
    command, runtime = stages()["dev"].command, stages()["runtime"].command

    assert command[:3] == ["uvicorn", "--factory", "app.main:create_app"]
    assert command[3:7] == runtime[-4:]
    assert "--reload" in command


def _dockerignore_excludes(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    excluded = False
    parts = path.split("/")
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern.removeprefix("!").rstrip("/"))
        prefixes = ("/".join(parts[:end]) for end in range(1, len(parts) + 1))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    translated = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
    return re.compile(translated.replace(r"\[", "[").replace(r"\]", "]"))


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("pyproject.toml", False),
        ("uv.lock", False),
        ("app/main.py", False),
        ("app/db/postgres/engine.py", False),
        ("alembic.ini", False),
        ("app/migrations/env.py", False),
        ("app/migrations/script.py.mako", False),
        ("app/migrations/versions/2026_11_28_784b9b1ebe96_items_table.py", False),
        ("docker/healthcheck.py", False),
        (".env", True),
        (".env.local", True),
        (".git/config", True),
        (".venv/bin/python", True),
        ("app/__pycache__/main.cpython-311.pyc", True),
        ("app/db/stale.pyc", True),
        (".pytest_cache/README.md", True),
        (".mypy_cache/3.11/app.json", True),
        (".ruff_cache/content", True),
        (".devstack/postgres/data", True),
        ("tests/conftest.py", True),
    ],
)
def test_dockerignore_lets_only_the_app_into_the_build_context(path: str, excluded: bool) -> None:
    patterns = [
        line.strip()
        for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    assert _dockerignore_excludes(path, patterns) is excluded


def test_stage_reader_sees_every_stage() -> None:
    assert list(stages()) == ["base", "uv", "builder", "dev", "runtime"]
