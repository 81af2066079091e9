"""Alembic's entry point: runs the migrations on the app's database, one process at a time."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from app.core.config import Settings, get_settings
from app.db.postgres.engine import create_one_off_engine
from app.db.postgres.init_db import TAKE_DDL_LOCK
from app.migrations.compare import compare_type
from app.models import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations(connection: Connection) -> None:
    """Wait for the DDL lock, then migrate: a concurrent run finds the work done."""
    connection.execute(TAKE_DDL_LOCK)
    connection.commit()  # the lock outlives this transaction, so Alembic begins its own
    context.configure(connection=connection, target_metadata=metadata, compare_type=compare_type)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(settings: Settings) -> None:
    """Connect as the app does (TLS included); the URL object goes to SQLAlchemy as is."""
    # Not through config.set_main_option: its interpolation breaks on the `%` of escaped passwords.
    # No pool: closing the connection ends the session and releases the lock. No statement
    # timeout: waiting for the lock, or a long ALTER, is not an outage. Alembic logs each step.
    engine = create_one_off_engine(settings, command_timeout=None, echo=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported: run them against a database")
asyncio.run(run_async_migrations(config.attributes.get("settings") or get_settings()))
