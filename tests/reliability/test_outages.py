"""A database stopped or frozen under the running app: 503 within 3 s, then recovery."""

import time
from collections.abc import Callable

import httpx
import pytest

from devstack.servers import wait_until
from tests.reliability.conftest import Stack

BUDGET_SECONDS = 3.0
POSTGRES_ROUTES = [
    ("GET", "/items"),
    ("GET", "/items/a"),
    ("POST", "/items"),
    ("PATCH", "/items/a"),
    ("DELETE", "/items/a"),
]
MONGO_ROUTES = [
    ("GET", "/events"),
    ("GET", "/events/6b0734b1dac1d16683df1988"),
    ("POST", "/events"),
    ("DELETE", "/events/6b0734b1dac1d16683df1988"),
]
BODIES = {"/items": {"id": "a", "name": "A"}, "/items/a": {"name": "B"}, "/events": {"type": "t"}}


def call(stack: Stack, method: str, path: str) -> tuple[httpx.Response, float]:
    body = BODIES.get(path) if method in ("POST", "PATCH") else None
    started = time.monotonic()
    response = httpx.request(method, f"{stack.app.url}{path}", json=body, timeout=10)
    return response, time.monotonic() - started


def routes_all_work(stack: Stack, routes: list[tuple[str, str]]) -> bool:
    return all(call(stack, method, path)[0].status_code < 500 for method, path in routes)


Fault = Callable[[Stack], None]
FAULTS: dict[str, tuple[str, Fault, Fault]] = {
    "postgres stopped": ("postgres", lambda s: s.postgres.stop(), lambda s: s.postgres.start()),
    "postgres frozen": ("postgres", lambda s: s.postgres.pause(), lambda s: s.postgres.resume()),
    "mongo stopped": ("mongo", lambda s: s.mongo.stop(), lambda s: s.mongo.start()),
    "mongo frozen": ("mongo", lambda s: s.mongo.pause(), lambda s: s.mongo.resume()),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_database_outage_is_503_within_3_s_and_recovers(stack: Stack, fault: str) -> None:
    database, inject, repair = FAULTS[fault]
    failing, healthy = (
        (POSTGRES_ROUTES, MONGO_ROUTES)
        if database == "postgres"
        else (MONGO_ROUTES, POSTGRES_ROUTES)
    )
    inject(stack)
    try:
        for method, path in failing:
            response, elapsed = call(stack, method, path)
            print(f"{fault}: {method} {path} -> {response.status_code} in {elapsed:.2f} s")
            assert response.status_code == 503, (method, path, response.text)
            assert list(response.json()) == ["detail"]
            assert "Traceback" not in response.text
            assert elapsed < BUDGET_SECONDS

        ready, elapsed = call(stack, "GET", "/health/ready")
        assert elapsed < BUDGET_SECONDS
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        other = "mongo" if database == "postgres" else "postgres"
        assert ready.json()["checks"] == {database: "unavailable", other: "ok"}

        assert routes_all_work(stack, healthy)
    finally:
        repair(stack)

    started = time.monotonic()
    wait_until(lambda: routes_all_work(stack, failing), timeout=15, what="recovery")
    print(f"{fault}: recovered {time.monotonic() - started:.2f} s after the repair")
    assert call(stack, "GET", "/health/ready")[0].status_code == 200
