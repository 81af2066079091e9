"""`/health` and `/health/ready` with both databases up."""

from httpx import AsyncClient


async def test_health_is_ok_without_touching_a_database(client: AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
