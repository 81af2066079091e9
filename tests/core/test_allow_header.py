"""A 405's `Allow` header lists every method of the path, across all its routes."""

from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient

from app.main import create_app


@pytest.fixture
async def routing_client() -> AsyncIterator[AsyncClient]:
    """The app in process: a 405 is decided by routing, before any database is touched."""
    transport = ASGITransport(app=create_app())
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/items", "GET, POST"),
        ("PUT", "/items/a-1", "DELETE, GET, PATCH"),
        ("OPTIONS", "/events", "GET, POST"),
        ("POST", "/events/0", "DELETE, GET"),
        ("DELETE", "/health/ready", "GET"),
        ("POST", "/docs-assets/swagger-ui.css", "GET, HEAD"),
    ],
)
async def test_method_not_allowed_lists_every_method_of_the_path(
    routing_client: AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await routing_client.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {"detail": "Method Not Allowed"}
