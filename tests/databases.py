"""Shared by fixtures and tests: drop a database this run created; mark a Mongo test."""

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.db.mongo.db import close_client, create_client
from app.db.postgres.engine import create_engine

uses_mongo = pytest.mark.usefixtures("mongo_database")
"""For a test reaching MongoDB through `client`: it gets a database and runs once per driver."""


async def drop_postgres_database(settings: Settings, name: str) -> None:
    """Drop `name` on the server `settings` point at, even with sessions still open."""
    engine = create_engine(settings, settings.postgres_url_for("postgres"))
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        quoted = connection.dialect.identifier_preparer.quote_identifier(name)
        await connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    await engine.dispose()


async def drop_mongo_database(settings: Settings, name: str) -> None:
    """Drop `name` on the MongoDB server `settings` point at."""
    client = create_client(settings)
    try:
        await client.drop_database(name)
    finally:
        await close_client(client)
