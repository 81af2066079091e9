"""Users and passwords full of URL-hostile characters work against both real servers."""

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.db.mongo.db import MongoClient, MongoDb
from app.db.postgres.engine import create_engine
from tests.credentials import HOSTILE_PASSWORD, HOSTILE_USER


@pytest.fixture
async def hostile_postgres_settings(
    settings: Settings, pg_engine: AsyncEngine
) -> AsyncIterator[Settings]:
    """A Postgres role named and keyed with hostile characters."""
    async with pg_engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        role = connection.dialect.identifier_preparer.quote_identifier(HOSTILE_USER)
        password = HOSTILE_PASSWORD.replace("'", "''")
        await connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
    yield settings.model_copy(
        update={"POSTGRES_USER": HOSTILE_USER, "POSTGRES_PASSWORD": SecretStr(HOSTILE_PASSWORD)}
    )
    async with pg_engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f"DROP ROLE {role}"))


@pytest.fixture
async def hostile_mongo_settings(
    mongo_settings: Settings, mongo_client: MongoClient
) -> AsyncIterator[Settings]:
    """A Mongo user named and keyed with hostile characters."""
    await mongo_client.admin.command(
        "createUser", HOSTILE_USER, pwd=HOSTILE_PASSWORD, roles=["readWriteAnyDatabase"]
    )
    yield mongo_settings.model_copy(
        update={"MONGO_USER": HOSTILE_USER, "MONGO_PASSWORD": SecretStr(HOSTILE_PASSWORD)}
    )
    await mongo_client.admin.command("dropUser", HOSTILE_USER)


async def test_postgres_accepts_hostile_credentials(hostile_postgres_settings: Settings) -> None:
    engine = create_engine(hostile_postgres_settings)
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT current_user")) == HOSTILE_USER
    await engine.dispose()


async def test_mongo_accepts_hostile_credentials(hostile_mongo_settings: Settings) -> None:
    mongo = MongoDb()
    await mongo.connect(hostile_mongo_settings)
    try:
        status = await mongo.get_db().command("connectionStatus")
        assert status["authInfo"]["authenticatedUsers"][0]["user"] == HOSTILE_USER
    finally:
        await mongo.disconnect()
