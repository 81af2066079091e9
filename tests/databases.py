"""Databases for fixtures: create an empty one, drop one this run created."""

from sqlalchemy import text

from app.core.config import Settings
from app.db.postgres.engine import create_engine


async def drop_postgres_database(settings: Settings, name: str) -> None:
    """Drop `name` on the server `settings` point at, even with sessions still open."""
    engine = create_engine(settings, settings.postgres_url_for("postgres"))
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        quoted = connection.dialect.identifier_preparer.quote_identifier(name)
        await connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    await engine.dispose()


async def create_postgres_database(settings: Settings, name: str) -> None:
    """Create an empty database `name` on the server `settings` point at."""
    engine = create_engine(settings, settings.postgres_url_for("postgres"))
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        quoted = connection.dialect.identifier_preparer.quote_identifier(name)
        await connection.execute(text(f"CREATE DATABASE {quoted}"))
    await engine.dispose()
