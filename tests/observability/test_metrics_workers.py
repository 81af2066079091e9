"""`/metrics` under `python -m app.serve`: whichever worker answers, it answers for all."""

import http.client
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.servers import wait_until
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.observability.scrape import sample_value
from tests.serving import WORKERS, Served, serving

# Starts app processes: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

REQUESTS = "syncdesk_http_request_duration_seconds_count"
ITEM_404 = {"method": "GET", "route": "/items/{item_id}", "status": "404"}
ENOUGH_REQUESTS = 20
ENOUGH_SCRAPES = 6


def get(server: Served, path: str) -> tuple[str, int | None]:
    """GET on a connection of its own (the kernel hands each to either worker): the body, and
    the pid of the worker that answered."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path)
        body = connection.getresponse().read().decode()
        assert connection.sock is not None
        return body, server.worker_holding(connection.sock)
    finally:
        connection.close()


@pytest.mark.long
def test_counts_scraped_equal_requests_sent_whichever_of_two_workers_answers(
    test_env: dict[str, str], pg_engine: AsyncEngine, tmp_path: Path
) -> None:
    served_by: list[int | None] = []
    counts: list[float] = []
    scraped_by: set[int | None] = set()
    with serving(test_env, tmp_path / "serve.log") as server:

        def both_workers_served() -> bool:
            served_by.append(get(server, f"/items/counted-{len(served_by)}")[1])
            return len(served_by) >= ENOUGH_REQUESTS and len(set(served_by) - {None}) == WORKERS

        def both_workers_scraped() -> bool:
            body, pid = get(server, "/metrics")
            counts.append(sample_value(body, REQUESTS, **ITEM_404))
            scraped_by.add(pid)
            return len(counts) >= ENOUGH_SCRAPES and len(scraped_by - {None}) == WORKERS

        wait_until(both_workers_served, timeout=CONDITION_GUARD_SECONDS, what="both workers")
        wait_until(both_workers_scraped, timeout=CONDITION_GUARD_SECONDS, what="both scraped")

    assert counts == [len(served_by)] * len(counts)


def test_a_restart_counts_from_zero_on_the_same_metrics_directory(
    test_env: dict[str, str], pg_engine: AsyncEngine, tmp_path: Path
) -> None:
    env = {**test_env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    with serving(env, tmp_path / "first.log", workers=1) as first:
        get(first, "/items/before-restart")
        before, _ = get(first, "/metrics")
    with serving(env, tmp_path / "second.log", workers=1) as second:
        after, _ = get(second, "/metrics")

    assert sample_value(before, REQUESTS, **ITEM_404) == 1
    assert sample_value(after, REQUESTS, **ITEM_404) == 0
