"""Ways to run the migrations: the deploy job's command, or Alembic's own in this process."""

import asyncio
import subprocess
import sys
from pathlib import Path

from alembic import command

from app.core.config import Settings
from app.migrations.config import alembic_config
from devstack.app_process import PROJECT_ROOT
from tests.commands import HANG_GUARD_SECONDS
from tests.forked_processes import run_forked

MIGRATE = [sys.executable, "-m", "app.migrations"]


async def alembic(settings: Settings, name: str, revision: str) -> None:
    """Run Alembic's `upgrade`/`downgrade` in a thread: env.py runs its own event loop."""
    config = alembic_config(settings, configure_logging=False)
    await asyncio.to_thread(getattr(command, name), config, revision)


def migrate(env: dict[str, str], cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    """`python -m app.migrations` in a process of its own, as a deploy job runs it."""
    env = {**env, "PYTHONPATH": str(PROJECT_ROOT)}
    return run_forked(MIGRATE, cwd=cwd, env=env, timeout=HANG_GUARD_SECONDS)
