"""Fixtures of the database layer's tests."""

from collections.abc import AsyncIterator

import pytest

from app.db import close_postgres_db


@pytest.fixture
async def process_engine(pg_engine: object) -> AsyncIterator[None]:
    """The process engine (`get_engine()`) on this run's database, disposed after the test."""
    yield
    await close_postgres_db()
