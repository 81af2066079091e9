"""The real session dependencies and the seed's `dependency_overrides` pattern."""

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.db import close_postgres_db, mongo_db
from app.db.mongo.db import MongoDatabase
from app.db.mongo.dependencies import get_mongo_session
from app.db.postgres.dependencies import get_postgres_session
from app.db.postgres.engine import get_engine
from app.items.models import Item


@pytest.fixture
async def process_engine(pg_engine: object) -> AsyncIterator[None]:
    """The process engine on this run's database, disposed after the test."""
    yield
    await close_postgres_db()


async def test_postgres_session_is_closed_after_the_request(process_engine: None) -> None:
    sessions = get_postgres_session()
    session = await anext(sessions)
    await session.execute(select(1))
    assert get_engine().pool.checkedout() == 1  # type: ignore[attr-defined]

    with pytest.raises(StopAsyncIteration):
        await anext(sessions)

    assert get_engine().pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_postgres_session_is_closed_when_the_handler_raises(process_engine: None) -> None:
    sessions = get_postgres_session()
    session = await anext(sessions)
    await session.execute(select(1))

    with pytest.raises(ValueError, match="handler failed"):
        await sessions.athrow(ValueError("handler failed"))

    assert get_engine().pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_mongo_session_is_the_connected_database(settings: Settings) -> None:
    await mongo_db.connect(settings)
    try:
        database = await anext(get_mongo_session())
        assert database.name == settings.MONGO_DB
    finally:
        await mongo_db.disconnect()


async def test_overridden_postgres_session_is_the_one_routes_use(
    client: AsyncClient, pg_session: AsyncSession
) -> None:
    await client.post("/items", json={"id": "via-http", "name": "N"})

    assert await pg_session.scalar(select(Item.name).where(Item.id == "via-http")) == "N"


async def test_overridden_mongo_session_is_the_one_routes_use(
    client: AsyncClient, mongo_database: MongoDatabase
) -> None:
    await client.post("/events", json={"type": "via-http"})

    assert await mongo_database["events"].count_documents({"type": "via-http"}) == 1
