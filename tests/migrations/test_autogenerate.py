"""`python -m app.migrations.autogenerate`: compares with the migrations' head, not dev tables."""

import shutil
import sys
from pathlib import Path

import pytest

from app.core.config import Settings
from app.migrations.config import head_revisions
from devstack.app_process import PROJECT_ROOT
from tests.commands import HANG_GUARD_SECONDS
from tests.databases import database_exists
from tests.forked_processes import run_forked

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

# What the command reads: the package, Alembic's configuration, ruff's for the write hooks.
PROJECT_FILES = ("app", "alembic.ini", "pyproject.toml")


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The project's code and configuration in a directory of the test's own: the revision is
    written there, never into the `app/migrations/versions/` other tests migrate with."""
    for name in PROJECT_FILES:
        origin = PROJECT_ROOT / name
        if origin.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(origin, tmp_path / name, ignore=ignore)
        else:
            shutil.copy2(origin, tmp_path / name)
    return tmp_path


async def test_autogenerate_with_unchanged_models_writes_an_empty_revision_after_head(
    scratch_env: dict[str, str], settings: Settings, project_copy: Path
) -> None:
    (head,) = head_revisions()
    versions = project_copy / "app" / "migrations" / "versions"

    # From the copy, `python -m` imports the copied `app` (the working directory comes first).
    result = run_forked(
        [sys.executable, "-m", "app.migrations.autogenerate", "nothing changed"],
        cwd=project_copy,
        env=scratch_env,
        timeout=HANG_GUARD_SECONDS,
    )

    written = list(versions.glob("*_nothing_changed.py"))
    assert result.returncode == 0, result.stderr
    assert len(written) == 1
    source = written[0].read_text()
    assert f'down_revision: str | Sequence[str] | None = "{head}"' in source
    assert "op." not in source  # compared with a database at head: nothing to do
    app_database = scratch_env["POSTGRES_DB"]
    assert not await database_exists(settings, app_database + "_autogenerate")  # dropped
    assert not await database_exists(settings, app_database)  # never needed
