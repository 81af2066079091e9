"""CORS_ORIGINS: which browser origins may call the API, by environment or explicitly."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from pydantic import ValidationError

from app.core.config import DEVELOPMENT_CORS_ORIGINS, Settings, get_settings
from app.main import create_app

FRONT_END = "https://app.example.com"
OTHER = "https://evil.example.net"
ClientFor = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]

# Settings read the environment: these tests start from none of ours.
pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture
def client_for(monkeypatch: pytest.MonkeyPatch) -> ClientFor:
    """An in-process client of an app built under the given settings (no database touched)."""

    @asynccontextmanager
    async def client(**env: str) -> AsyncIterator[httpx.AsyncClient]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            transport = httpx.ASGITransport(app=create_app())
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client
        finally:
            get_settings.cache_clear()

    return client


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }


@pytest.mark.parametrize(
    ("environment", "expected"),
    [("development", list(DEVELOPMENT_CORS_ORIGINS)), ("test", []), ("production", [])],
)
def test_default_origins_are_local_front_ends_in_development_only(
    environment: str, expected: list[str]
) -> None:
    settings = Settings(_env_file=None, ENVIRONMENT=environment)

    assert settings.cors_origins == expected
    assert "http://localhost:5173" in DEVELOPMENT_CORS_ORIGINS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{FRONT_END}, http://localhost:8080", [FRONT_END, "http://localhost:8080"]),
        (f'["{FRONT_END}"]', [FRONT_END]),
        ("[]", []),
        ("", list(DEVELOPMENT_CORS_ORIGINS)),
    ],
)
def test_an_explicit_setting_wins_over_the_development_default(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", value)

    assert Settings(_env_file=None).cors_origins == expected


@pytest.mark.parametrize("value", [f"{FRONT_END}/", f"{FRONT_END}/app", "app.example.com"])
def test_an_origin_with_a_path_or_without_a_scheme_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", value)

    with pytest.raises(ValidationError, match="is not an origin like"):
        Settings(_env_file=None)


async def test_preflight_from_an_allowed_origin_is_allowed(client_for: ClientFor) -> None:
    async with client_for(ENVIRONMENT="production", CORS_ORIGINS=FRONT_END) as client:
        response = await client.options("/items", headers=preflight(FRONT_END))

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONT_END
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_preflight_from_another_origin_gets_no_cors_headers(client_for: ClientFor) -> None:
    async with client_for(ENVIRONMENT="production", CORS_ORIGINS=FRONT_END) as client:
        response = await client.options("/items", headers=preflight(OTHER))

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_simple_request_from_an_allowed_origin_carries_the_header(
    client_for: ClientFor,
) -> None:
    async with client_for(ENVIRONMENT="production", CORS_ORIGINS=FRONT_END) as client:
        response = await client.get("/health", headers={"Origin": FRONT_END})

    assert response.headers["access-control-allow-origin"] == FRONT_END


@pytest.mark.parametrize("environment", ["production", "test"])
async def test_no_origin_is_allowed_by_default_outside_development(
    client_for: ClientFor, environment: str
) -> None:
    async with client_for(ENVIRONMENT=environment) as client:
        response = await client.get("/health", headers={"Origin": "http://localhost:5173"})

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_development_allows_a_local_front_end_by_default(client_for: ClientFor) -> None:
    async with client_for(ENVIRONMENT="development") as client:
        response = await client.options("/items", headers=preflight("http://localhost:5173"))

    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
