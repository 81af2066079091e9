"""Development drops and recreates tables only on a database the development tooling owns."""

import pytest

from app.core.config import InsecureSettingsError, Settings
from app.db import init_postgres_db
from app.db.postgres.ownership import ensure_development_database, is_development_host

# Settings built here must not pick up POSTGRES_* from the shell running the tests.
pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "127.0.0.53", "::1", "[::1]", "postgres", "/run/postgresql"]
)
def test_local_hosts_and_the_compose_service_are_development_databases(host: str) -> None:
    assert is_development_host(host)


@pytest.mark.parametrize(
    "host", ["db.example.com", "10.0.0.5", "192.168.1.20", "mydb.postgres.database.azure.com"]
)
def test_any_other_host_is_not_a_development_database(host: str) -> None:
    assert not is_development_host(host)


MANAGED_URL = "postgresql://admin:s3cret-pw@db.example.com:5432/production"


async def test_development_refuses_in_one_line_to_recreate_a_managed_database() -> None:
    managed = Settings(ENVIRONMENT="development", POSTGRES_URL=MANAGED_URL)

    with pytest.raises(InsecureSettingsError) as caught:
        await init_postgres_db(managed)

    message = str(caught.value)
    assert "PostgreSQL at db.example.com:5432/production (from POSTGRES_URL)" in message
    assert "POSTGRES_DEV_RECREATE_ANY_HOST=true" in message
    assert "ENVIRONMENT=production" in message
    assert "s3cret-pw" not in message
    assert "\n" not in message


def test_the_setting_lets_development_recreate_a_remote_database() -> None:
    allowed = Settings(
        ENVIRONMENT="development", POSTGRES_URL=MANAGED_URL, POSTGRES_DEV_RECREATE_ANY_HOST=True
    )

    ensure_development_database(allowed)  # no refusal
