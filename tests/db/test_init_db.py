"""`init_postgres_db` against real servers: create, recreate, retry, give up, refuse."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.db import close_postgres_db, init_postgres_db
from app.db.exceptions import DatabaseUnavailableError
from app.db.postgres.engine import create_engine
from app.db.postgres.init_db import MAINTENANCE_DATABASE
from devstack.app_process import AppProcess
from devstack.servers import PostgresServer, free_port
from tests.credentials import HOSTILE_PASSWORD
from tests.databases import (
    create_postgres_database,
    ddl_lock_held,
    drop_postgres_database,
    wait_for_ddl_lock_waiters,
)

QUOTED_NAME = "Sync-Desk_Test"


@pytest.fixture
async def dev_settings(settings: Settings) -> AsyncIterator[Settings]:
    """Development settings on a database whose name needs quoting, dropped afterwards."""
    dev = settings.model_copy(update={"ENVIRONMENT": "development", "POSTGRES_DB": QUOTED_NAME})
    yield dev
    await drop_postgres_database(settings, QUOTED_NAME)


async def scalar(settings: Settings, sql: str) -> object:
    engine = create_engine(settings)
    async with engine.connect() as connection:
        value = await connection.scalar(text(sql))
    await engine.dispose()
    return value


async def test_init_creates_a_missing_database_whose_name_needs_quoting(
    dev_settings: Settings,
) -> None:
    await init_postgres_db(dev_settings)

    assert await scalar(dev_settings, "SELECT current_database()") == QUOTED_NAME
    assert await scalar(dev_settings, "SELECT count(*) FROM items") == 0


async def test_init_recreates_tables_so_rows_are_gone(dev_settings: Settings) -> None:
    await init_postgres_db(dev_settings)
    engine = create_engine(dev_settings)
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO items (id, name) VALUES ('a', 'A')"))
    await engine.dispose()

    await init_postgres_db(dev_settings)

    assert await scalar(dev_settings, "SELECT count(*) FROM items") == 0


async def test_three_inits_at_once_on_a_missing_database_all_succeed(
    dev_settings: Settings,
) -> None:
    await asyncio.gather(*(init_postgres_db(dev_settings) for _ in range(3)))

    assert await scalar(dev_settings, "SELECT count(*) FROM items") == 0


def running(apps: list[AppProcess]) -> bool:
    return all(app.process is not None and app.process.poll() is None for app in apps)


@pytest.mark.parametrize("database_exists", [False, True], ids=["new-database", "existing"])
async def test_two_app_processes_starting_together_both_become_ready(
    start_app: Callable[..., AppProcess],
    scratch_env: dict[str, str],
    settings: Settings,
    database_exists: bool,
) -> None:
    env = {**scratch_env, "ENVIRONMENT": "development"}
    # The lock they queue at first: CREATE DATABASE's on the maintenance database, else the
    # tables' on the app's database. Holding it lines both up there: a real race.
    lock_database = MAINTENANCE_DATABASE
    if database_exists:
        lock_database = scratch_env["POSTGRES_DB"]
        await create_postgres_database(settings, lock_database)
    async with ddl_lock_held(settings, lock_database) as holder:
        apps = [start_app(env, wait=False) for _ in range(2)]
        await wait_for_ddl_lock_waiters(holder, 2, lambda: running(apps))

    for app in apps:
        await asyncio.to_thread(app.wait_ready)
    assert "Startup failed" not in apps[0].output() + apps[1].output()


async def test_init_refuses_to_run_in_production(dev_settings: Settings) -> None:
    production = dev_settings.model_copy(update={"ENVIRONMENT": "production"})

    with pytest.raises(RuntimeError, match="refuses to run with ENVIRONMENT=production"):
        await init_postgres_db(production)


@pytest.fixture
def stopped_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer.create(password=HOSTILE_PASSWORD)
    server.stop()
    yield server
    server.remove()


async def test_init_retries_until_postgres_comes_up(
    stopped_postgres: PostgresServer, settings: Settings
) -> None:
    late = settings.model_copy(
        update={"ENVIRONMENT": "development", "POSTGRES_PORT": stopped_postgres.port}
    )

    async def start_two_seconds_later() -> None:
        await asyncio.sleep(2)  # the scenario: the server appears mid-retry
        await asyncio.to_thread(stopped_postgres.start)

    starter = asyncio.create_task(start_two_seconds_later())
    started = time.monotonic()
    await init_postgres_db(late)
    await starter

    assert time.monotonic() - started >= 2
    assert await scalar(late, "SELECT count(*) FROM items") == 0


async def test_init_gives_up_after_ten_attempts_naming_the_server(settings: Settings) -> None:
    port = free_port()
    nowhere = settings.model_copy(update={"ENVIRONMENT": "development", "POSTGRES_PORT": port})
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailableError) as caught:
        await init_postgres_db(nowhere)

    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert message.startswith(
        f"PostgreSQL at {settings.POSTGRES_HOST}:{port}/{settings.POSTGRES_DB}"
    )
    assert "after 10 attempts" in message
    assert settings.POSTGRES_PASSWORD.get_secret_value() not in message
    assert 4.5 <= elapsed < 30  # nine waits of 500 ms between ten attempts
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)  # the original error


async def test_close_postgres_db_is_safe_to_call_twice(test_env: dict[str, str]) -> None:
    await close_postgres_db()
    await close_postgres_db()
