"""Create the app's database when missing, then recreate its tables: development only.

In production, use the migrations (`python -m app.migrations`): `init_postgres_db` drops every
table. Both take the same advisory lock, so processes starting together change the schema in turn.
"""

import ssl

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_fixed,
)

from app.core.config import Settings, get_settings
from app.db.exceptions import DatabaseUnavailableError
from app.db.postgres.engine import (
    connect_arguments,
    describe_failure,
    dispose_engine,
    hide_autocommit_bookkeeping,
    is_connection_error,
    is_login_refused,
)

ATTEMPTS = 10
WAIT_SECONDS = 0.5
MAINTENANCE_DATABASE = "postgres"
# CREATE DATABASE copies a template and may take seconds on a slow disk.
DDL_TIMEOUT_SECONDS = 30.0
# Any fixed 64-bit number: every process changing a database's schema waits for this lock first.
DDL_LOCK_KEY = 5_730_118_364
# Session-level: held until the connection closes, across the transactions it runs meanwhile.
TAKE_DDL_LOCK = text("SELECT pg_advisory_lock(:key)").bindparams(key=DDL_LOCK_KEY)


async def init_postgres_db(settings: Settings | None = None) -> None:
    """Create the database if missing, then drop and create every table of `app.models`.

    Retries connection errors 10 times, 500 ms apart; refuses `ENVIRONMENT=production`.
    """
    settings = settings or get_settings()
    if settings.ENVIRONMENT == "production":
        raise RuntimeError(
            "init_postgres_db drops every table and refuses to run with "
            "ENVIRONMENT=production; use migrations there"
        )
    retrying = AsyncRetrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_fixed(WAIT_SECONDS),
        retry=retry_if_exception(is_connection_error),
        reraise=True,  # after the last attempt, its own error
    )
    try:
        async for attempt in retrying:
            with attempt:
                await _create_database(settings)
                await _recreate_tables(settings)
    except Exception as exc:
        if isinstance(exc, ssl.SSLCertVerificationError):
            reason = (
                f"certificate verify failed ({exc.verify_message}); check sslmode and sslrootcert"
            )
        elif is_connection_error(exc):
            reason = f"no connection after {ATTEMPTS} attempts ({describe_failure(exc)})"
        elif is_login_refused(exc):
            reason = "login refused; check POSTGRES_USER and POSTGRES_PASSWORD"
        else:
            raise
        raise DatabaseUnavailableError(
            f"PostgreSQL at {settings.postgres_location}", reason
        ) from exc


async def close_postgres_db() -> None:
    """Dispose of the engine's connection pool; safe to call twice."""
    await dispose_engine()


async def _create_database(settings: Settings) -> None:
    engine = _one_off_engine(settings, MAINTENANCE_DATABASE, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(TAKE_DDL_LOCK)  # two processes must not both CREATE it
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


def _one_off_engine(settings: Settings, database: str, **options: str) -> AsyncEngine:
    hide_autocommit_bookkeeping()
    # NullPool: these connections are used once and must not outlive the call.
    return create_async_engine(
        settings.postgres_url_for(database),
        poolclass=NullPool,
        echo=settings.postgres_echo,
        connect_args=connect_arguments(settings, command_timeout=DDL_TIMEOUT_SECONDS),
        **options,
    )
