"""Create the app's database when missing, then recreate its tables: development only.

In production, use migrations (e.g. Alembic): `init_postgres_db` drops every table.
"""

import ssl

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_fixed,
)

from app.core.config import Settings, get_settings
from app.db.exceptions import DatabaseUnavailableError
from app.db.postgres.base import Base
from app.db.postgres.engine import (
    CERTIFICATE_ERRORS,
    CONNECTION_ERRORS,
    connect_arguments,
    dispose_engine,
    is_login_refused,
)

ATTEMPTS = 10
WAIT_SECONDS = 0.5
MAINTENANCE_DATABASE = "postgres"
# CREATE DATABASE copies a template and may take seconds on a slow disk.
DDL_TIMEOUT_SECONDS = 30.0


async def init_postgres_db(settings: Settings | None = None) -> None:
    """Create the database if missing, then drop and create all tables of `Base.metadata`.

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
        retry=retry_if_exception_type(CONNECTION_ERRORS)
        & retry_if_not_exception_type(CERTIFICATE_ERRORS),
    )
    server = f"PostgreSQL at {settings.postgres_location}"
    try:
        async for attempt in retrying:
            with attempt:
                await _create_database(settings)
                await _recreate_tables(settings)
    except RetryError as exc:
        error = exc.last_attempt.exception()
        reason = f"no connection after {ATTEMPTS} attempts ({type(error).__name__})"
        raise DatabaseUnavailableError(server, reason) from error
    except ssl.SSLCertVerificationError as exc:
        reason = f"certificate verify failed ({exc.verify_message}); check sslmode and sslrootcert"
        raise DatabaseUnavailableError(server, reason) from exc
    except Exception as exc:
        if is_login_refused(exc):
            reason = "login refused; check POSTGRES_USER and POSTGRES_PASSWORD"
            raise DatabaseUnavailableError(server, reason) from exc
        raise


async def close_postgres_db() -> None:
    """Dispose of the engine's connection pool; safe to call twice."""
    await dispose_engine()


async def _create_database(settings: Settings) -> None:
    engine = _one_off_engine(settings, MAINTENANCE_DATABASE, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
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
    engine = _one_off_engine(settings, settings.POSTGRES_DB)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.run_sync(Base.metadata.create_all)
    finally:
        await engine.dispose()


def _one_off_engine(settings: Settings, database: str, **options: str) -> AsyncEngine:
    # NullPool: these connections are used once and must not outlive the call.
    return create_async_engine(
        settings.postgres_url_for(database),
        poolclass=NullPool,
        echo=settings.POSTGRES_ECHO,
        connect_args=connect_arguments(settings, command_timeout=DDL_TIMEOUT_SECONDS),
        **options,
    )
