"""`python -m app.migrations.autogenerate`: compares with the migrations' head, not dev tables."""

import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.db.postgres.engine import create_engine
from app.migrations.config import head_revisions
from devstack.app_process import PROJECT_ROOT

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

VERSIONS = PROJECT_ROOT / "app" / "migrations" / "versions"


@pytest.fixture
def new_revisions() -> Iterator[None]:
    """Remove the revision files a test writes, so the history stays as it was."""
    before = set(VERSIONS.glob("*.py"))
    yield
    for path in set(VERSIONS.glob("*.py")) - before:
        path.unlink()


def autogenerate(env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.migrations.autogenerate", message],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def database_exists(settings: Settings, name: str) -> bool:
    engine = create_engine(settings, settings.postgres_url_for("postgres"))
    async with engine.connect() as connection:
        found = await connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
    await engine.dispose()
    return found is not None


async def test_autogenerate_with_unchanged_models_writes_an_empty_revision_after_head(
    scratch_env: dict[str, str], settings: Settings, new_revisions: None
) -> None:
    (head,) = head_revisions()

    result = autogenerate(scratch_env, "nothing changed")

    written = list(VERSIONS.glob("*_nothing_changed.py"))
    assert result.returncode == 0, result.stderr
    assert len(written) == 1
    source = written[0].read_text()
    assert f'down_revision: str | Sequence[str] | None = "{head}"' in source
    assert "op." not in source  # compared with a database at head: nothing to do
    app_database = scratch_env["POSTGRES_DB"]
    assert not await database_exists(settings, app_database + "_autogenerate")  # dropped
    assert not await database_exists(settings, app_database)  # never needed
