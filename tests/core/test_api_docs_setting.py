"""API_DOCS: /docs, /redoc and /openapi.json, on except in production unless set."""

import httpx
import pytest

from app.core.config import Settings, get_settings
from app.main import create_app

DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")

# Settings read the environment: these tests start from none of ours.
pytestmark = pytest.mark.usefixtures("clean_environment")


async def docs_statuses(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[int]:
    """The status of each docs path in an app built under `env` (no database touched)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return [(await client.get(path)).status_code for path in DOCS_PATHS]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ENVIRONMENT": "development"}, True),
        ({"ENVIRONMENT": "test"}, True),
        ({"ENVIRONMENT": "production"}, False),
        ({"ENVIRONMENT": "production", "API_DOCS": "true"}, True),
        ({"ENVIRONMENT": "development", "API_DOCS": "false"}, False),
        ({"ENVIRONMENT": "production", "API_DOCS": ""}, False),
    ],
)
def test_docs_are_on_except_in_production_and_an_explicit_setting_wins(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: bool
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert Settings(_env_file=None).api_docs is expected


async def test_docs_off_answers_404_on_every_docs_path(monkeypatch: pytest.MonkeyPatch) -> None:
    statuses = await docs_statuses(monkeypatch, ENVIRONMENT="test", API_DOCS="false")

    assert statuses == [404, 404, 404]


async def test_docs_on_serves_every_docs_path(monkeypatch: pytest.MonkeyPatch) -> None:
    statuses = await docs_statuses(monkeypatch, ENVIRONMENT="production", API_DOCS="true")

    assert statuses == [200, 200, 200]
