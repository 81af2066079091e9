"""POSTGRES_URL and MONGO_URL against the real servers: the URLs win, the log names no secret."""

from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest

from app.core.config import Settings
from devstack.app_process import AppProcess
from tests.http_clients import http_client

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

# Parts that lead nowhere: the app only works if the URLs win over them.
WRONG_PARTS = {
    "POSTGRES_HOST": "postgres.invalid",
    "POSTGRES_PASSWORD": "wrong-postgres-password",
    "MONGO_HOST": "mongo.invalid",
    "MONGO_PASSWORD": "wrong-mongo-password",
}


def managed_urls(settings: Settings, database: str) -> dict[str, str]:
    """The run's servers as managed services name them: one URL each, passwords escaped."""
    pg_password = quote(settings.POSTGRES_PASSWORD.get_secret_value(), safe="")
    pg_user = quote(settings.POSTGRES_USER, safe="")
    pg_address = f"{settings.POSTGRES_HOST}:{settings.POSTGRES_PORT}"
    mongo_password = settings.MONGO_PASSWORD.get_secret_value()
    mongo_credentials = (
        f"{quote_plus(settings.MONGO_USER)}:{quote_plus(mongo_password)}@" if mongo_password else ""
    )
    mongo_address = f"{settings.MONGO_HOST}:{settings.MONGO_PORT}"
    return {
        "POSTGRES_URL": f"postgres://{pg_user}:{pg_password}@{pg_address}/{database}",
        "MONGO_URL": (
            f"mongodb://{mongo_credentials}{mongo_address}/{database}"
            f"?authSource={settings.MONGO_AUTH_SOURCE}"
        ),
    }


def test_urls_win_over_the_parts_and_the_routes_work(
    start_app: Callable[..., AppProcess], scratch_env: dict[str, str], settings: Settings
) -> None:
    database = scratch_env["POSTGRES_DB"]
    urls = managed_urls(settings, database)
    env = {**scratch_env, **WRONG_PARTS, **urls, "ENVIRONMENT": "development"}

    app = start_app(env)
    item = http_client.post(f"{app.url}/items", json={"id": "by-url", "name": "N"})
    items = http_client.get(f"{app.url}/items")
    event = http_client.post(f"{app.url}/events", json={"type": "by-url"})
    ready = http_client.get(f"{app.url}/health/ready")

    assert (item.status_code, event.status_code, ready.status_code) == (201, 201, 200)
    assert [row["id"] for row in items.json()] == ["by-url"]
    output = app.output()
    pg_location = f"{settings.POSTGRES_HOST}:{settings.POSTGRES_PORT}/{database}"
    mongo_location = f"{settings.MONGO_HOST}:{settings.MONGO_PORT}/{database}"
    assert f"PostgreSQL at {pg_location} (from POSTGRES_URL)" in output
    assert f"MongoDB at {mongo_location} (from MONGO_URL)" in output
    for secret in (
        settings.POSTGRES_PASSWORD.get_secret_value(),
        settings.MONGO_PASSWORD.get_secret_value(),
    ):
        for form in (secret, quote(secret, safe=""), quote_plus(secret)):
            assert not secret or form not in output


def test_the_suite_ignores_urls_from_the_environment_and_dotenv(settings: Settings) -> None:
    assert (settings.postgres_source, settings.mongo_source) == (
        "the POSTGRES_* parts",
        "the MONGO_* parts",
    )
