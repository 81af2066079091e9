"""`/health` and `/health/ready` in process: both databases up, or one of them unreachable;
the readiness checks run on each Mongo driver."""

import time
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.db.mongo.db import MongoDatabase
from app.db.mongo.dependencies import get_mongo_session
from app.db.postgres.dependencies import get_postgres_engine, get_postgres_session
from app.db.postgres.engine import create_engine
from tests.budgets import UNAVAILABLE_WITHIN_SECONDS
from tests.databases import uses_mongo


async def test_health_is_ok_without_touching_a_database(app: FastAPI, client: AsyncClient) -> None:
    def no_database() -> None:
        raise AssertionError("/health asked for a database")

    for dependency in (get_postgres_engine, get_postgres_session, get_mongo_session):
        app.dependency_overrides[dependency] = no_database
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@uses_mongo
async def test_ready_is_ok_when_both_databases_answer(client: AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "mongo": "ok"}}


@pytest.fixture
async def unreachable_engine(settings: Settings, refused_port: int) -> AsyncIterator[AsyncEngine]:
    """An engine on a port where no server listens."""
    engine = create_engine(settings, settings.postgres_database_url.set(port=refused_port))
    yield engine
    await engine.dispose()


@uses_mongo
async def test_ready_names_postgres_when_it_does_not_answer(
    app: FastAPI, client: AsyncClient, unreachable_engine: AsyncEngine
) -> None:
    async def engine() -> AsyncEngine:
        return unreachable_engine

    app.dependency_overrides[get_postgres_engine] = engine
    started = time.monotonic()
    response = await client.get("/health/ready")

    assert time.monotonic() - started < UNAVAILABLE_WITHIN_SECONDS
    assert response.status_code == 503
    expected = {"status": "unavailable", "checks": {"postgres": "unavailable", "mongo": "ok"}}
    assert response.json() == expected


async def test_ready_names_mongo_when_it_does_not_answer(
    app: FastAPI, client: AsyncClient, unreachable_mongo: MongoDatabase
) -> None:
    app.dependency_overrides[get_mongo_session] = lambda: unreachable_mongo
    started = time.monotonic()
    response = await client.get("/health/ready")

    assert time.monotonic() - started < UNAVAILABLE_WITHIN_SECONDS
    assert response.status_code == 503
    expected = {"status": "unavailable", "checks": {"postgres": "ok", "mongo": "unavailable"}}
    assert response.json() == expected


@uses_mongo
async def test_ready_names_postgres_when_its_database_does_not_exist(
    app: FastAPI, client: AsyncClient, settings: Settings
) -> None:
    missing = create_engine(settings, settings.postgres_url_for("syncdesk_no_such_database"))

    async def engine() -> AsyncEngine:
        return missing

    app.dependency_overrides[get_postgres_engine] = engine
    response = await client.get("/health/ready")
    await missing.dispose()

    assert response.status_code == 503
    assert response.json()["checks"] == {"postgres": "unavailable", "mongo": "ok"}
