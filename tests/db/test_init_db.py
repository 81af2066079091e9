"""`init_postgres_db` against real servers: create, recreate, retry, give up, refuse."""

import asyncio
import itertools
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from app.core.config import Settings
from app.db import close_postgres_db, init_postgres_db
from app.db.exceptions import DatabaseUnavailableError
from app.db.postgres.engine import get_engine
from app.db.postgres.failures import DriverConnectionError
from app.db.postgres.init_db import (
    DDL_LOCK_KEY,
    MAINTENANCE_DATABASE,
    create_database,
    creation_lock_key,
)
from app.db.postgres.retry import ATTEMPTS, WAIT_SECONDS
from devstack.app_process import AppProcess
from devstack.servers import PostgresServer, wait_until
from tests.budgets import CONDITION_GUARD_SECONDS, SCHEDULING_MARGIN_SECONDS
from tests.credentials import HOSTILE_PASSWORD
from tests.databases import (
    RUN_ID,
    create_postgres_database,
    database_exists,
    ddl_lock_held,
    drop_postgres_database,
    patient_engine,
    wait_for_ddl_lock_waiters,
)
from tests.pg_proxy import ADMIN_SHUTDOWN, STARTING_UP, TOO_MANY_CLIENTS, PgProxy, Refusal

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture
async def dev_settings(settings: Settings) -> AsyncIterator[Settings]:
    """Development settings on a database of this test's own whose name needs quoting (capitals
    and a hyphen), dropped afterwards. Every worker shares the server: a fixed name was dropped
    by one test while another used it."""
    name = f"Sync-Desk_Test_{RUN_ID}_{secrets.token_hex(3)}"
    dev = settings.model_copy(update={"ENVIRONMENT": "development", "POSTGRES_DB": name})
    yield dev
    await drop_postgres_database(settings, name)


async def scalar(settings: Settings, sql: str) -> object:
    engine = patient_engine(settings)
    async with engine.connect() as connection:
        value = await connection.scalar(text(sql))
    await engine.dispose()
    return value


async def test_init_creates_a_missing_database_whose_name_needs_quoting(
    dev_settings: Settings,
) -> None:
    await init_postgres_db(dev_settings)

    assert await scalar(dev_settings, "SELECT current_database()") == dev_settings.POSTGRES_DB
    assert await scalar(dev_settings, "SELECT count(*) FROM items") == 0


async def test_init_recreates_tables_so_rows_are_gone(dev_settings: Settings) -> None:
    await init_postgres_db(dev_settings)
    engine = patient_engine(dev_settings)
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
    database = scratch_env["POSTGRES_DB"]
    # The lock they queue at first: the one for creating their database, on the maintenance
    # database, else the tables' on their database. Holding it lines both up there: a real race.
    lock_database, key = MAINTENANCE_DATABASE, creation_lock_key(database)
    if database_exists:
        lock_database, key = database, DDL_LOCK_KEY
        await create_postgres_database(settings, database)
    async with ddl_lock_held(settings, lock_database, key) as holder:
        apps = [start_app(env, wait=False) for _ in range(2)]
        await wait_for_ddl_lock_waiters(holder, 2, lambda: running(apps), key)

    for app in apps:
        await asyncio.to_thread(app.wait_ready)
    assert "Startup failed" not in apps[0].output() + apps[1].output()


async def test_creating_a_database_waits_for_a_creator_of_the_same_name_only(
    settings: Settings, scratch_env: dict[str, str]
) -> None:
    name = scratch_env["POSTGRES_DB"]
    creating = settings.model_copy(update={"POSTGRES_DB": name})

    # Another process creating another database on the server does not hold this one up.
    async with ddl_lock_held(settings, MAINTENANCE_DATABASE, creation_lock_key(f"{name}_other")):
        # A hang guard, not a budget.
        await asyncio.wait_for(create_database(creating), CONDITION_GUARD_SECONDS)
    assert await database_exists(settings, name)

    # One creating the same database does: this one queues for it.
    await drop_postgres_database(settings, name)
    key = creation_lock_key(name)
    async with ddl_lock_held(settings, MAINTENANCE_DATABASE, key) as holder:
        task = asyncio.create_task(create_database(creating))
        await wait_for_ddl_lock_waiters(holder, 1, lambda: not task.done(), key)
    await task
    assert await database_exists(settings, name)


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


async def test_init_gives_up_after_ten_attempts_naming_the_server(
    settings: Settings, refused_port: int
) -> None:
    port = refused_port
    nowhere = settings.model_copy(update={"ENVIRONMENT": "development", "POSTGRES_PORT": port})

    with pytest.raises(DatabaseUnavailableError) as caught:
        await init_postgres_db(nowhere)

    message = str(caught.value)
    assert message.startswith(
        f"PostgreSQL at {settings.POSTGRES_HOST}:{port}/{settings.POSTGRES_DB}"
    )
    assert "no connection after 10 attempts (ConnectionRefusedError)" in message
    assert settings.POSTGRES_PASSWORD.get_secret_value() not in message
    # The driver's original error, chained under the marker for a driver failure.
    assert isinstance(caught.value.__cause__, DriverConnectionError)
    assert isinstance(caught.value.__cause__.__cause__, ConnectionRefusedError)


@pytest.fixture
def refusing_proxy(settings: Settings) -> Iterator[PgProxy]:
    """A proxy in front of the run's server that answers every login "starting up"."""
    proxy = PgProxy(upstream_port=settings.POSTGRES_PORT, refusal=STARTING_UP).start()
    yield proxy
    proxy.stop()


def behind(proxy: PgProxy, settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "ENVIRONMENT": "development",
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": proxy.port,
        }
    )


async def test_init_makes_exactly_ten_attempts_500_ms_apart(
    refusing_proxy: PgProxy, settings: Settings
) -> None:
    with pytest.raises(
        DatabaseUnavailableError, match=r"\(CannotConnectNowError, SQLSTATE 57P03\)"
    ):
        await init_postgres_db(behind(refusing_proxy, settings))

    logins = refusing_proxy.logins
    gaps = [later - earlier for earlier, later in itertools.pairwise(logins)]
    print(f"gaps between attempts: {[round(gap, 3) for gap in gaps]}")
    assert len(logins) == ATTEMPTS == 10
    # The wait is fixed at 500 ms; an attempt itself adds up to the connect timeout.
    longest = WAIT_SECONDS + settings.POSTGRES_CONNECT_TIMEOUT + SCHEDULING_MARGIN_SECONDS
    assert all(WAIT_SECONDS <= gap < longest for gap in gaps)


async def test_init_does_not_retry_a_refused_login(
    refusing_proxy: PgProxy, settings: Settings
) -> None:
    refusing_proxy.forward()  # the server itself refuses: a wrong password will stay wrong
    wrong = behind(refusing_proxy, settings).model_copy(
        update={"POSTGRES_PASSWORD": SecretStr("not-the-password")}
    )

    with pytest.raises(DatabaseUnavailableError, match="login refused"):
        await init_postgres_db(wrong)

    assert len(refusing_proxy.logins) == 1


@pytest.mark.parametrize("refusal", [STARTING_UP, TOO_MANY_CLIENTS, ADMIN_SHUTDOWN])
async def test_init_retries_while_postgres_refuses_logins(
    refusing_proxy: PgProxy, settings: Settings, refusal: Refusal
) -> None:
    refusing_proxy.refuse(refusal)
    loop = asyncio.get_running_loop()
    # The scenario: the server accepts logins again after three refused attempts.
    wait_until_refused = loop.run_in_executor(
        None,
        lambda: wait_until(
            lambda: len(refusing_proxy.logins) >= 3,
            timeout=CONDITION_GUARD_SECONDS,
            what="3 refusals",
        ),
    )
    init = asyncio.create_task(init_postgres_db(behind(refusing_proxy, settings)))
    await wait_until_refused
    refusing_proxy.forward()
    await init

    assert len(refusing_proxy.logins) >= 4  # three refused, then the ones that got through
    assert await scalar(behind(refusing_proxy, settings), "SELECT count(*) FROM items") == 0


async def test_close_postgres_db_disposes_the_engine_and_is_safe_to_call_twice(
    test_env: dict[str, str],
) -> None:
    engine = get_engine()
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() == 1

    await close_postgres_db()
    await close_postgres_db()

    assert pool.checkedin() == 0
    replacement = get_engine()
    assert replacement is not engine  # forgotten: the next use builds a new one
    await close_postgres_db()
