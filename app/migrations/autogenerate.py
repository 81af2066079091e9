"""`python -m app.migrations.autogenerate "message"`: write a revision for what the models changed.

Alembic compares the models with a database at the migrations' head. The development database
is not one (the lifespan recreates its tables without migrations), so the comparison runs on a
scratch database next to it, created, migrated to head and dropped here.
"""

import asyncio
import sys

from alembic import command
from sqlalchemy import text

from app.core.config import Settings
from app.db.postgres.engine import create_one_off_engine
from app.db.postgres.init_db import DDL_TIMEOUT_SECONDS, MAINTENANCE_DATABASE
from app.migrations.command_line import run_command
from app.migrations.config import alembic_config

SCRATCH_SUFFIX = "_autogenerate"


def main(message: str) -> int:
    """Write the revision; a server that cannot be used is one line and exit status 1."""
    return run_command("Revision", lambda settings: write_revision(settings, message))


def write_revision(settings: Settings, message: str) -> None:
    """Migrate a scratch database to head, autogenerate the revision against it, drop it."""
    scratch = settings.model_copy(update={"POSTGRES_DB": settings.POSTGRES_DB + SCRATCH_SUFFIX})
    asyncio.run(_recreate_database(scratch))
    try:
        config = alembic_config(scratch)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)
    finally:
        asyncio.run(_drop_database(scratch))


async def _recreate_database(settings: Settings) -> None:
    await _drop_database(settings)  # a run that was interrupted may have left it
    await _maintenance(settings, "CREATE DATABASE {name}")


async def _drop_database(settings: Settings) -> None:
    await _maintenance(settings, "DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _maintenance(settings: Settings, statement: str) -> None:
    engine = create_one_off_engine(
        settings,
        settings.postgres_url_for(MAINTENANCE_DATABASE),
        command_timeout=DDL_TIMEOUT_SECONDS,
        isolation_level="AUTOCOMMIT",
        echo=False,  # Alembic reports the steps that matter
    )
    try:
        async with engine.connect() as connection:
            name = connection.dialect.identifier_preparer.quote_identifier(settings.POSTGRES_DB)
            await connection.execute(text(statement.format(name=name)))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit('usage: python -m app.migrations.autogenerate "what changed"')
    sys.exit(main(sys.argv[1]))
