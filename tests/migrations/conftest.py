"""An empty database of its own per test."""

import pytest

from app.core.config import Settings
from tests.databases import create_postgres_database


@pytest.fixture
async def empty_env(scratch_env: dict[str, str], settings: Settings) -> dict[str, str]:
    """Environment naming an existing, empty database of its own (dropped afterwards)."""
    await create_postgres_database(settings, scratch_env["POSTGRES_DB"])
    return scratch_env


@pytest.fixture
def empty_settings(empty_env: dict[str, str], settings: Settings) -> Settings:
    """Settings of that empty database."""
    return settings.model_copy(update={"POSTGRES_DB": empty_env["POSTGRES_DB"]})
