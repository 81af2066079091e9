"""Databases for fixtures: create an empty one, drop one this run created, hold the DDL lock,
list its tables; and the mark of a test that reaches MongoDB."""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from pymongo.errors import AutoReconnect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from app.core.config import Settings
from app.db.mongo.db import MongoClient, close_client, create_client
from app.db.postgres.engine import create_engine
from app.db.postgres.init_db import (
    DDL_LOCK_KEY,
    DDL_TIMEOUT_SECONDS,
    MAINTENANCE_DATABASE,
    ddl_lock,
)

# This run's databases are named `syncdesk_test_<RUN_ID>...`; the run drops them at its end.
RUN_ID = secrets.token_hex(4)

# Waiters for an advisory lock: pg_locks splits the 64-bit key into classid (its high 32 bits)
# and objid (its low 32 bits).
LOCK_WAITERS = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid::bigint = :high AND objid::bigint = :low"
)
# Long enough for processes to start on a busy machine.
LOCK_QUEUE_SECONDS = 60

uses_mongo = pytest.mark.usefixtures("mongo_database")
"""For a test reaching MongoDB through `client`: it gets a database and runs once per driver."""


def patient_engine(settings: Settings, database: str | None = None) -> AsyncEngine:
    """An engine for a test's own set-up, clean-up and checks, on `database` (the settings'
    by default): it waits as long as the app's DDL does, to connect and for each statement.

    The app's 1 s defaults bound an outage; here they would only fail a CPU-starved run, as
    when DROP DATABASE ... WITH (FORCE) waits for the sessions it ends to exit.
    """
    patient = settings.model_copy(
        update={
            "POSTGRES_CONNECT_TIMEOUT": DDL_TIMEOUT_SECONDS,
            "POSTGRES_COMMAND_TIMEOUT": DDL_TIMEOUT_SECONDS,
        }
    )
    return create_engine(patient, patient.postgres_url_for(database or settings.POSTGRES_DB))


async def drop_postgres_database(settings: Settings, name: str) -> None:
    """Drop `name` on the server `settings` point at, even with sessions still open."""
    await _on_server(settings, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


async def create_postgres_database(settings: Settings, name: str) -> None:
    """Create an empty database `name` on the server `settings` point at."""
    await _on_server(settings, "CREATE DATABASE {}", name)


@asynccontextmanager
async def scratch_databases(
    test_env: dict[str, str], settings: Settings
) -> AsyncIterator[dict[str, str]]:
    """`test_env` naming a PostgreSQL and a MongoDB database of their own (created by whoever
    uses them first), both dropped on exit."""
    name = f"syncdesk_test_{RUN_ID}_{secrets.token_hex(3)}"
    try:
        yield {**test_env, "POSTGRES_DB": name, "MONGO_DB": name}
    finally:
        await drop_postgres_database(settings, name)
        await drop_mongo_database(settings, name)


async def _on_server(settings: Settings, statement: str, name: str) -> None:
    # Database DDL runs outside a transaction, from the maintenance database.
    engine = patient_engine(settings, MAINTENANCE_DATABASE)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        quoted = connection.dialect.identifier_preparer.quote_identifier(name)
        await connection.execute(text(statement.format(quoted)))
    await engine.dispose()


@asynccontextmanager
async def ddl_lock_held(
    settings: Settings, database: str, key: int = DDL_LOCK_KEY
) -> AsyncIterator[AsyncConnection]:
    """Hold lock `key` in `database` (the schema lock unless named), as a process changing its
    schema (or creating a database) does; released on exit."""
    engine = patient_engine(settings, database)
    try:
        async with engine.connect() as connection:
            await connection.execute(ddl_lock(key))
            await connection.commit()
            yield connection
    finally:
        await engine.dispose()  # ends the session, which releases the lock


async def wait_for_ddl_lock_waiters(
    holder: AsyncConnection,
    count: int,
    still_running: Callable[[], bool],
    key: int = DDL_LOCK_KEY,
) -> None:
    """Poll until `count` sessions queue for lock `key`, which `holder` holds; fail if one exits."""
    halves = {"high": (key >> 32) & 0xFFFF_FFFF, "low": key & 0xFFFF_FFFF}
    deadline = time.monotonic() + LOCK_QUEUE_SECONDS
    while (waiting := await holder.scalar(LOCK_WAITERS, halves)) != count:
        assert still_running(), f"a process ended instead of waiting ({waiting} waiting)"
        assert time.monotonic() < deadline, f"{waiting} of {count} waiting in time"
        await asyncio.sleep(0.05)


async def database_exists(settings: Settings, name: str) -> bool:
    """Whether the server `settings` point at has a database `name`."""
    engine = patient_engine(settings, MAINTENANCE_DATABASE)
    async with engine.connect() as connection:
        found = await connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
    await engine.dispose()
    return found is not None


async def tables(settings: Settings) -> set[str]:
    """The tables of the settings' database, in its public schema."""
    engine = patient_engine(settings)
    async with engine.connect() as connection:
        names = await connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
        found = set(names)
    await engine.dispose()
    return found


async def drop_mongo_database(settings: Settings, name: str) -> None:
    """Drop `name` on the MongoDB server `settings` point at."""
    client = create_client(settings)
    try:
        await drop_with_retries(client, name)
    finally:
        await close_client(client)


async def drop_with_retries(client: MongoClient, name: str) -> None:
    """Drop `name`, again if the driver gave up on the server for a moment.

    At the end of a parallel run a CPU-starved server can miss a heartbeat; the driver then
    cancels what is in flight (AutoReconnect). Cleanup waits that out, within 5 attempts.
    """
    retrying = AsyncRetrying(
        stop=stop_after_attempt(5),
        wait=wait_fixed(0.5),
        retry=retry_if_exception_type(AutoReconnect),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await client.drop_database(name)
