"""`/metrics`: Prometheus's text format, bounded labels, pools and 503s by database."""

from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.core.config import Settings, get_settings
from app.db.exceptions import DatabaseUnavailableError
from app.db.mongo.db import MongoDatabase
from app.db.mongo.dependencies import get_mongo_session
from app.db.postgres.engine import create_engine
from app.main import create_app
from app.observability import pools
from app.observability.metrics import Metrics
from tests.observability.scrape import label_values, sample_value

REQUESTS = "syncdesk_http_request_duration_seconds_count"


async def scrape(client: AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_metrics_are_served_in_prometheus_text_format(client: AsyncClient) -> None:
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE syncdesk_http_request_duration_seconds histogram" in response.text


async def test_metrics_are_left_out_of_the_openapi_schema(client: AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    assert "/metrics" not in schema["paths"]


async def test_requests_are_counted_by_route_template_method_and_status(
    client: AsyncClient,
) -> None:
    labels = {"method": "GET", "route": "/items/{item_id}", "status": "404"}
    before = sample_value(await scrape(client), REQUESTS, **labels)
    for number in range(3):
        await client.get(f"/items/counted-{number}")

    exposition = await scrape(client)
    assert sample_value(exposition, REQUESTS, **labels) == before + 3
    assert not any("counted-" in route for route in label_values(exposition, "route"))


async def test_an_unmatched_path_is_counted_under_one_fixed_label(client: AsyncClient) -> None:
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    before = sample_value(await scrape(client), REQUESTS, **labels)
    await client.get("/no/such/path-4711")

    exposition = await scrape(client)
    assert sample_value(exposition, REQUESTS, **labels) == before + 1
    assert not any("4711" in route for route in label_values(exposition, "route"))


async def test_the_schema_and_docs_assets_are_counted_under_their_routes_not_unmatched(
    client: AsyncClient,
) -> None:
    paths = {"/openapi.json": "/openapi.json", "/docs-assets/swagger-ui.css": "/docs-assets/{path}"}
    before = await scrape(client)
    for path in paths:
        assert (await client.get(path)).status_code == 200

    exposition = await scrape(client)
    for route in paths.values():
        labels = {"method": "GET", "route": route, "status": "200"}
        assert (
            sample_value(exposition, REQUESTS, **labels)
            == sample_value(before, REQUESTS, **labels) + 1
        )
    unmatched = {"method": "GET", "route": "unmatched", "status": "200"}
    assert sample_value(exposition, REQUESTS, **unmatched) == sample_value(
        before, REQUESTS, **unmatched
    )


async def test_an_unknown_method_is_counted_as_other(client: AsyncClient) -> None:
    labels = {"method": "_OTHER", "route": "/health", "status": "405"}
    before = sample_value(await scrape(client), REQUESTS, **labels)
    await client.request("BREW", "/health")

    assert sample_value(await scrape(client), REQUESTS, **labels) == before + 1


async def test_a_503_is_counted_under_its_database(app: FastAPI, client: AsyncClient) -> None:
    def mongo_down() -> MongoDatabase:
        raise DatabaseUnavailableError("MongoDB at example:27017/db")

    app.dependency_overrides[get_mongo_session] = mongo_down
    unavailable = "syncdesk_database_unavailable_responses_total"
    before = sample_value(await scrape(client), unavailable, database="mongo")

    response = await client.get("/events")

    assert response.status_code == 503
    assert sample_value(await scrape(client), unavailable, database="mongo") == before + 1


@pytest.fixture
def metrics_off(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Iterator[None]:
    monkeypatch.setenv("METRICS", "false")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_metrics_setting_off_serves_no_metrics(metrics_off: None) -> None:
    transport = ASGITransport(app=create_app())
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/metrics")

    assert response.status_code == 404


async def test_the_client_fixture_follows_settings_a_test_changed(
    metrics_off: None, client: AsyncClient
) -> None:
    # The suite shares one app among tests; one built with other settings would serve /metrics.
    assert (await client.get("/metrics")).status_code == 404


def small_pool(settings: Settings) -> Settings:
    """One kept connection and one overflow, which a third checkout waits for (0.2 s at most)."""
    return settings.model_copy(
        update={"POSTGRES_POOL_SIZE": 1, "POSTGRES_MAX_OVERFLOW": 1, "POSTGRES_POOL_TIMEOUT": 0.2}
    )


@pytest.fixture
async def small_pool_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """A metered engine with a small pool on this run's database."""
    engine = create_engine(small_pool(settings), metered=True)
    yield engine
    await engine.dispose()


@pytest.fixture
def worker_metrics(monkeypatch: pytest.MonkeyPatch) -> Metrics:
    """Metrics of their own, which pools feed as a worker of several does: by writing the
    gauges at each checkout and return (a single process reads them when scraped)."""
    metrics = Metrics(CollectorRegistry())
    monkeypatch.setattr(pools, "get_metrics", lambda: metrics)
    monkeypatch.setattr(pools, "is_multiprocess", lambda: True)
    return metrics


@pytest.fixture
async def worker_pool_engine(
    worker_metrics: Metrics, settings: Settings
) -> AsyncIterator[AsyncEngine]:
    """A metered engine with a small pool, feeding `worker_metrics`."""
    engine = create_engine(small_pool(settings), metered=True)
    yield engine
    await engine.dispose()


async def checked_out(engine: AsyncEngine, count: int) -> list[AsyncConnection]:
    connections = [await engine.connect() for _ in range(count)]
    for connection in connections:
        await connection.execute(text("SELECT 1"))
    return connections


async def test_postgres_pool_gauges_follow_checkouts(
    client: AsyncClient, small_pool_engine: AsyncEngine
) -> None:
    connections = await checked_out(small_pool_engine, 2)
    busy = await scrape(client)
    for connection in connections:
        await connection.close()
    idle = await scrape(client)

    assert sample_value(busy, "syncdesk_postgres_pool_size") == 1
    assert sample_value(busy, "syncdesk_postgres_pool_checked_out") == 2
    assert sample_value(busy, "syncdesk_postgres_pool_overflow") == 1
    assert sample_value(idle, "syncdesk_postgres_pool_checked_out") == 0


async def test_a_worker_of_several_writes_the_pool_gauges_as_checkouts_change_them(
    worker_metrics: Metrics, worker_pool_engine: AsyncEngine
) -> None:
    connections = await checked_out(worker_pool_engine, 2)
    busy = generate_latest(worker_metrics.registry).decode()
    for connection in connections:
        await connection.close()
    idle = generate_latest(worker_metrics.registry).decode()

    assert sample_value(busy, "syncdesk_postgres_pool_size") == 1
    assert sample_value(busy, "syncdesk_postgres_pool_checked_out") == 2
    assert sample_value(busy, "syncdesk_postgres_pool_overflow") == 1
    assert sample_value(idle, "syncdesk_postgres_pool_checked_out") == 0


async def test_a_checkout_that_finds_the_pool_exhausted_counts_as_a_wait(
    client: AsyncClient, small_pool_engine: AsyncEngine
) -> None:
    before = sample_value(await scrape(client), "syncdesk_postgres_pool_waits_total")
    connections = await checked_out(small_pool_engine, 2)
    try:
        with pytest.raises(PoolTimeoutError):
            await small_pool_engine.connect()
    finally:
        for connection in connections:
            await connection.close()

    exposition = await scrape(client)
    assert sample_value(exposition, "syncdesk_postgres_pool_waits_total") == before + 1
    assert sample_value(exposition, "syncdesk_postgres_pool_wait_seconds_total") > 0


async def test_mongo_pool_gauges_count_open_connections_and_none_left_checked_out(
    client: AsyncClient, mongo_database: MongoDatabase
) -> None:
    await client.post("/events", json={"type": "pool"})
    exposition = await scrape(client)

    assert sample_value(exposition, "syncdesk_mongo_pool_connections") >= 1
    assert sample_value(exposition, "syncdesk_mongo_pool_checked_out") == 0
    assert sample_value(exposition, "syncdesk_mongo_pool_wait_seconds_total") > 0
