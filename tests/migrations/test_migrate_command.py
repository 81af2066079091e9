"""`python -m app.migrations`: from any directory, with any password, once across replicas."""

import asyncio
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from app.core.config import Settings
from app.migrations.config import alembic_config, head_revisions
from app.migrations.revision import current_revisions
from devstack.app_process import PROJECT_ROOT
from tests.credentials import HOSTILE_PASSWORD
from tests.databases import ddl_lock_held, tables, wait_for_ddl_lock_waiters
from tests.migrations.migrate import MIGRATE, migrate

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

REPLICAS = 3


def every_revision() -> set[str]:
    return {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }


async def test_migrate_upgrades_to_head_with_a_password_full_of_url_syntax(
    empty_env: dict[str, str], empty_settings: Settings, tmp_path: Path
) -> None:
    assert set("%@:/#?&+ ") <= set(empty_env["POSTGRES_PASSWORD"])  # all of URL syntax, escaped

    result = migrate(empty_env, cwd=tmp_path)  # alembic.ini is found from anywhere

    assert result.returncode == 0, result.stderr
    assert await current_revisions(empty_settings) == head_revisions()
    assert "items" in await tables(empty_settings)


async def test_three_migrations_at_once_apply_each_revision_once(
    empty_env: dict[str, str], empty_settings: Settings, tmp_path: Path
) -> None:
    env = {**empty_env, "PYTHONPATH": str(PROJECT_ROOT)}
    logs = [tmp_path / f"migrate-{replica}.log" for replica in range(REPLICAS)]
    started = time.monotonic()
    # Holding the lock lines the three up at it, whatever their start-up times: a real race.
    async with ddl_lock_held(empty_settings, empty_settings.POSTGRES_DB) as holder:
        processes = [await start_migrate(env, log) for log in logs]
        await wait_for_ddl_lock_waiters(
            holder, REPLICAS, lambda: all(p.returncode is None for p in processes)
        )
        released = time.monotonic()
    statuses = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in processes)), 60)
    done = time.monotonic()
    print(
        f"{REPLICAS} concurrent migrations: {done - started:.2f} s from start, "
        f"{done - released:.2f} s from the moment all {REPLICAS} waited at the lock"
    )

    output = "".join(log.read_text() for log in logs)
    applied = Counter(re.findall(r"Running upgrade .* -> (\w+),", output))
    assert statuses == [0] * REPLICAS, output
    assert await current_revisions(empty_settings) == head_revisions()
    assert applied == dict.fromkeys(every_revision(), 1), output


async def start_migrate(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as output:
        return await asyncio.create_subprocess_exec(
            *MIGRATE, cwd=log.parent, env=env, stdout=output, stderr=output
        )


def test_migrate_on_an_unreachable_server_says_so_in_one_line(
    empty_env: dict[str, str], refused_port: int
) -> None:
    port = refused_port

    result = migrate({**empty_env, "POSTGRES_PORT": str(port)})

    lines = result.stderr.strip().splitlines()
    location = f"{empty_env['POSTGRES_HOST']}:{port}/{empty_env['POSTGRES_DB']}"
    assert result.returncode == 1
    assert lines == [f"Migration failed: PostgreSQL at {location} is unavailable: "
                     "no connection (ConnectionRefusedError)"]  # fmt: skip
    assert HOSTILE_PASSWORD not in result.stderr


def test_migrate_on_a_database_not_created_yet_says_so_in_one_line(
    scratch_env: dict[str, str],
) -> None:
    result = migrate(scratch_env)  # scratch_env names a database nobody created

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Migration failed: PostgreSQL at {scratch_env['POSTGRES_HOST']}:"
        f"{scratch_env['POSTGRES_PORT']}/{scratch_env['POSTGRES_DB']} is unavailable: "
        "the database does not exist; create it, then run the migrations"
    ]
