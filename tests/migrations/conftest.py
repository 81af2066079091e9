"""An empty database of its own per test, and ways to run the migrations on it."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from app.core.config import Settings
from app.db.postgres.engine import create_engine
from app.migrations.config import alembic_config
from devstack.app_process import PROJECT_ROOT
from tests.databases import create_postgres_database

MIGRATE = [sys.executable, "-m", "app.migrations"]


@pytest.fixture
async def empty_env(scratch_env: dict[str, str], settings: Settings) -> dict[str, str]:
    """Environment naming an existing, empty database of its own (dropped afterwards)."""
    await create_postgres_database(settings, scratch_env["POSTGRES_DB"])
    return scratch_env


@pytest.fixture
def empty_settings(empty_env: dict[str, str], settings: Settings) -> Settings:
    """Settings of that empty database."""
    return settings.model_copy(update={"POSTGRES_DB": empty_env["POSTGRES_DB"]})


async def alembic(settings: Settings, name: str, revision: str) -> None:
    """Run Alembic's `upgrade`/`downgrade` in a thread: env.py runs its own event loop."""
    config = alembic_config(settings, configure_logging=False)
    await asyncio.to_thread(getattr(command, name), config, revision)


def migrate(env: dict[str, str], cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    """`python -m app.migrations` in a process of its own, as a deploy job runs it."""
    return subprocess.run(
        MIGRATE,
        cwd=cwd,
        env={**env, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def tables(settings: Settings) -> set[str]:
    """The tables of the database's public schema."""
    engine = create_engine(settings)
    async with engine.connect() as connection:
        names = await connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
        found = set(names)
    await engine.dispose()
    return found
