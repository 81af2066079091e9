"""The database's schema revision against the code's: production refuses to start behind it."""

import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from app.core.config import Settings
from app.db.exceptions import DatabaseUnavailableError
from app.db.postgres.engine import (
    create_engine,
    describe_failure,
    is_login_refused,
    is_unavailable,
)
from app.migrations.config import alembic_config

logger = logging.getLogger(__name__)

MIGRATE_COMMAND = "`just migrate` (in the image: `python -m app.migrations`)"
# SQLSTATE 3D000: the database the URL names does not exist (the migrations create tables only).
MISSING_DATABASE = "3D000"


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
        f"PostgreSQL at {settings.postgres_location} is at schema revision {_names(current)}, "
        f"behind this code's {_names(expected)}: run {MIGRATE_COMMAND}, then start the app"
    )


async def current_revisions(settings: Settings) -> set[str]:
    """The revisions stamped in the database's `alembic_version`; empty when never migrated."""
    engine = create_engine(settings)  # the app's timeouts bound a down or hanging server
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(_current_heads))
    except Exception as exc:
        if is_unusable(exc):
            raise unavailable(settings, exc) from exc
        raise
    finally:
        await engine.dispose()


def is_unusable(exc: BaseException) -> bool:
    """Whether the database cannot be used as configured: unavailable, or not created yet."""
    return _is_missing(exc) or is_unavailable(exc)


def unavailable(settings: Settings, exc: BaseException) -> DatabaseUnavailableError:
    """The one-line error for a database we cannot use; it names no secret."""
    if _is_missing(exc):
        reason = "the database does not exist; create it, then run the migrations"
    elif is_login_refused(exc):
        reason = "login refused; check POSTGRES_USER and POSTGRES_PASSWORD"
    else:
        reason = f"no connection ({describe_failure(exc)})"
    return DatabaseUnavailableError(f"PostgreSQL at {settings.postgres_location}", reason)


def _is_missing(exc: BaseException) -> bool:
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and sqlstate == MISSING_DATABASE


def _current_heads(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()


def _names(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"
