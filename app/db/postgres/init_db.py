"""Create the app's database when missing, then recreate its tables: development only.

In production, use the migrations (`python -m app.migrations`): `init_postgres_db` drops every
table. Both take the same advisory lock, so processes starting together change the schema in turn.
"""

import hashlib

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings, get_settings
from app.db.postgres.engine import create_one_off_engine, dispose_engine
from app.db.postgres.ownership import ensure_development_database
from app.db.postgres.retry import retry_outages

MAINTENANCE_DATABASE = "postgres"
# CREATE DATABASE copies a template and may take seconds on a slow disk.
DDL_TIMEOUT_SECONDS = 30.0
# Any fixed 64-bit number: every process changing a database's schema waits for this lock first.
DDL_LOCK_KEY = 5_730_118_364


def ddl_lock(key: int) -> TextClause:
    """Wait for advisory lock `key` of the connected database. Session-level: held until the
    connection closes, across the transactions it runs meanwhile."""
    return text("SELECT pg_advisory_lock(:key)").bindparams(key=key)


TAKE_DDL_LOCK = ddl_lock(DDL_LOCK_KEY)


def creation_lock_key(database: str) -> int:
    """The lock (in the maintenance database) that processes creating `database` take in turn:
    one per name, so creating another database on the same server never waits for it."""
    digest = hashlib.blake2b(f"CREATE DATABASE {database}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def init_postgres_db(settings: Settings | None = None) -> None:
    """Create the database if missing, then drop and create every table of `app.models`.

    Retries outages 10 times, 500 ms apart; refuses `ENVIRONMENT=production`, and any database
    the development tooling does not own (`app.db.postgres.ownership`).
    """
    settings = settings or get_settings()
    if settings.ENVIRONMENT == "production":
        raise RuntimeError(
            "init_postgres_db drops every table and refuses to run with "
            "ENVIRONMENT=production; use migrations there"
        )
    ensure_development_database(settings)

    async def recreate() -> None:
        await create_database(settings)
        await _recreate_tables(settings)

    await retry_outages(recreate, database=settings.postgres_server)


async def close_postgres_db() -> None:
    """Dispose of the engine's connection pool; safe to call twice."""
    await dispose_engine()


async def create_database(settings: Settings) -> None:
    """Create the database the settings name unless it exists; two processes take turns."""
    engine = _one_off_engine(settings, MAINTENANCE_DATABASE, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            # Two processes must not both CREATE it.
            await connection.execute(ddl_lock(creation_lock_key(settings.POSTGRES_DB)))
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": settings.POSTGRES_DB},
            )
            if not exists:
                name = connection.dialect.identifier_preparer.quote_identifier(settings.POSTGRES_DB)
                await connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        await engine.dispose()


async def _recreate_tables(settings: Settings) -> None:
    # Imported here: the models import `app.db`, so `app.db` cannot import them at its own import.
    from app.models import metadata

    engine = _one_off_engine(settings, settings.POSTGRES_DB)
    try:
        async with engine.begin() as connection:
            await connection.execute(TAKE_DDL_LOCK)
            await connection.run_sync(metadata.drop_all)
            await connection.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


def _one_off_engine(
    settings: Settings, database: str, isolation_level: str | None = None
) -> AsyncEngine:
    return create_one_off_engine(
        settings,
        settings.postgres_url_for(database),
        command_timeout=DDL_TIMEOUT_SECONDS,
        isolation_level=isolation_level,
    )
