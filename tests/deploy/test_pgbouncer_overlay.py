"""The PgBouncer overlay's containers: the Job migrates straight to PostgreSQL, the web pod
serves concurrent clients through PgBouncer in transaction mode."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.manifests import Resource, environment, workload
from devstack.servers import MongoServer, PostgresServer
from tests.db.pgbouncer import pgbouncer_binary, running_pgbouncer
from tests.deploy.local_cluster import (
    Addresses,
    address,
    database_on,
    past_startup,
    pods_on,
    run_job,
)
from tests.http_clients import load_limits

BINARY = pgbouncer_binary()
pytestmark = [
    pytest.mark.skipif(
        BINARY is None, reason="no pgbouncer on PATH (Debian: apt-get install pgbouncer)"
    ),
    pytest.mark.slow,  # starts PgBouncer and the app: `just test-fast` leaves it out
]

CLIENTS = 16


@pytest.fixture
def pooled_addresses(
    addresses: Addresses,
    pgbouncer: list[Resource],
    pod_servers: tuple[PostgresServer, MongoServer],
    web_env: dict[str, str],
) -> Iterator[Addresses]:
    """The production addresses, and the overlay's PgBouncer address served by a PgBouncer in
    transaction mode (fewer server connections than clients) in front of the same PostgreSQL."""
    assert BINARY is not None
    postgres, _ = pod_servers
    upstream = ("127.0.0.1", postgres.port)
    credentials = web_env["POSTGRES_USER"], web_env["POSTGRES_PASSWORD"]
    with running_pgbouncer(BINARY, upstream, *credentials) as port:
        pooled = environment(pgbouncer, workload(pgbouncer, "Deployment"))
        yield {**addresses, address(pooled, "POSTGRES"): port}


async def create_and_read(client: httpx.AsyncClient, number: int) -> tuple[int, int]:
    created = await client.post("/items", json={"id": f"pooled-{number}", "name": "P"})
    read = await client.get(f"/items/pooled-{number}")
    return created.status_code, read.status_code


async def test_job_migrates_directly_and_web_pod_serves_through_pgbouncer(
    pooled_addresses: Addresses,
    pgbouncer: list[Resource],
    web_env: dict[str, str],
    tmp_path: Path,
) -> None:
    deployment, job = workload(pgbouncer, "Deployment"), workload(pgbouncer, "Job")
    async with database_on(pooled_addresses, web_env) as database:
        with pods_on(pooled_addresses, pgbouncer, tmp_path) as start:
            await run_job(start, job, database)
            web = await asyncio.to_thread(past_startup, start(deployment, database), deployment)
            limits = load_limits(CLIENTS)
            async with httpx.AsyncClient(base_url=web.url, limits=limits, timeout=10) as client:
                answers = await asyncio.gather(
                    *(create_and_read(client, n) for n in range(CLIENTS))
                )

    assert set(answers) == {(201, 200)}, web.output()[-3000:]
