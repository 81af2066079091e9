"""The database's schema revision against the code's: production refuses to start behind it."""

import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from app.core.config import Settings
from app.db.postgres.engine import create_engine
from app.db.postgres.retry import retry_outages
from app.migrations.config import alembic_config

logger = logging.getLogger(__name__)

MIGRATE_COMMAND = "`just migrate` (in the image: `python -m app.migrations`)"


class SchemaBehindError(Exception):
    """The database lacks revisions the code needs: the migrations must run first."""


async def ensure_schema_at_head(settings: Settings) -> None:
    """Refuse a database behind the migrations' head; only warn about one ahead of it."""
    current = await current_revisions(settings)
    script = ScriptDirectory.from_config(alembic_config())
    expected = set(script.get_heads())
    if current == expected:
        return
    known = {revision.revision for revision in script.walk_revisions()}
    if current - known:
        # A newer release migrated already: old replicas keep serving during a rolling deploy.
        logger.warning(
            "PostgreSQL at %s is at schema revision %s, which this code does not know "
            "(its head: %s): serving anyway, as during a rolling deploy",
            settings.postgres_location, _names(current), _names(expected),
        )  # fmt: skip
        return
    raise SchemaBehindError(
        f"{settings.postgres_server} is at schema revision {_names(current)}, "
        f"behind this code's {_names(expected)}: run {MIGRATE_COMMAND}, then start the app"
    )


async def current_revisions(settings: Settings) -> set[str]:
    """The revisions stamped in the database's `alembic_version`; empty when never migrated.

    A server that is starting up or not there yet is retried, as development's startup does.
    """

    async def read() -> set[str]:
        engine = create_engine(settings)  # the app's timeouts bound a down or hanging server
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(_current_heads))
        finally:
            await engine.dispose()

    return await retry_outages(read, database=settings.postgres_server)


def _current_heads(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()


def _names(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"
