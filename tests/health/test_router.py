"""`/health` and `/health/ready`; the readiness checks run on each Mongo driver."""

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from app.core.config import Settings
from app.db import close_postgres_db, mongo_db
from app.db.mongo.db import create_client
from devstack.servers import free_port


@pytest.fixture
async def connected(pg_engine: object, mongo_settings: Settings) -> AsyncIterator[None]:
    """The process's own clients, as the lifespan opens them, closed after the test."""
    await mongo_db.connect(mongo_settings)
    yield
    await mongo_db.disconnect()
    await close_postgres_db()


async def test_health_is_ok_without_touching_a_database(client: AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_is_ok_when_both_databases_answer(client: AsyncClient, connected: None) -> None:
    response = await client.get("/health/ready")

    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "checks": {"postgres": "ok", "mongo": "ok"}},
    )


async def test_ready_names_mongo_when_it_does_not_answer(
    client: AsyncClient, pg_engine: object, mongo_settings: Settings
) -> None:
    # The driver's own client, aimed at a port nothing listens on: its ping times out.
    nowhere = mongo_settings.model_copy(update={"MONGO_PORT": free_port(), "MONGO_TIMEOUT_MS": 300})
    mongo_db.client = create_client(nowhere)
    mongo_db.db = mongo_db.client[nowhere.MONGO_DB]
    try:
        response = await client.get("/health/ready")
    finally:
        await mongo_db.disconnect()
        await close_postgres_db()

    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "checks": {"postgres": "ok", "mongo": "unavailable"}},
    )


async def test_ready_names_mongo_when_it_is_not_connected(
    client: AsyncClient, pg_engine: object
) -> None:
    try:
        response = await client.get("/health/ready")
    finally:
        await close_postgres_db()

    assert response.status_code == 503
    assert response.json()["checks"] == {"postgres": "ok", "mongo": "unavailable"}
