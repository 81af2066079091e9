"""A database stopped or frozen under the running app: 503 within 3 s, then recovery."""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from devstack.app_process import AppProcess
from devstack.servers import wait_until
from tests.budgets import CONDITION_GUARD_SECONDS, UNAVAILABLE_WITHIN_SECONDS
from tests.reliability.routes import MONGO_ROUTES, POSTGRES_ROUTES, call, routes_all_work
from tests.reliability.stack import Stack

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

Fault = Callable[[Stack], None]
FAULTS: dict[str, tuple[Fault, Fault]] = {
    "stopped": (lambda s: s.postgres.stop(), lambda s: s.postgres.start()),
    "frozen": (lambda s: s.postgres.pause(), lambda s: s.postgres.resume()),
}
MONGO_FAULTS: dict[str, tuple[Fault, Fault]] = {
    "stopped": (lambda s: s.mongo.stop(), lambda s: s.mongo.start()),
    "frozen": (lambda s: s.mongo.pause(), lambda s: s.mongo.resume()),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_postgres_outage_is_503_within_3_s_and_recovers(stack: Stack, fault: str) -> None:
    inject, repair = FAULTS[fault]
    check_outage(stack, stack.app, "postgres", inject, repair, POSTGRES_ROUTES, MONGO_ROUTES)


@pytest.mark.parametrize("fault", MONGO_FAULTS)
def test_mongo_outage_is_503_within_3_s_and_recovers(
    stack: Stack, mongo_app: AppProcess, fault: str
) -> None:
    inject, repair = MONGO_FAULTS[fault]
    check_outage(stack, mongo_app, "mongo", inject, repair, MONGO_ROUTES, POSTGRES_ROUTES)


def check_outage(
    stack: Stack,
    app: AppProcess,
    database: str,
    inject: Fault,
    repair: Fault,
    failing: list[tuple[str, str]],
    healthy: list[tuple[str, str]],
) -> None:
    """`failing` routes answer 503 within the budget while `database` is down, `healthy`
    ones keep working, and all recover after the repair."""
    # Another test may have restarted a server under this app (the stack is shared): the first
    # request to find a pooled connection dead is a 503, and must not be one checked here.
    wait_until(
        lambda: routes_all_work(app, failing + healthy),
        timeout=CONDITION_GUARD_SECONDS,
        what="the app serving before the fault",
    )
    inject(stack)
    try:
        # Requests arrive together, as users' would: each is a 503 within the budget.
        with ThreadPoolExecutor(max_workers=len(failing) + 1) as pool:
            *responses, (ready, ready_elapsed) = pool.map(
                lambda route: call(app, *route), [*failing, ("GET", "/health/ready")]
            )
        for (method, path), (response, elapsed) in zip(failing, responses, strict=True):
            print(f"{database}: {method} {path} -> {response.status_code} in {elapsed:.2f} s")
            assert response.status_code == 503, (method, path, response.text)
            assert list(response.json()) == ["detail"]
            assert "Traceback" not in response.text
            assert elapsed < UNAVAILABLE_WITHIN_SECONDS

        assert ready_elapsed < UNAVAILABLE_WITHIN_SECONDS
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        other = "mongo" if database == "postgres" else "postgres"
        assert ready.json()["checks"] == {database: "unavailable", other: "ok"}

        assert routes_all_work(app, healthy)
    finally:
        repair(stack)

    started = time.monotonic()
    wait_until(
        lambda: routes_all_work(app, failing), timeout=CONDITION_GUARD_SECONDS, what="recovery"
    )
    print(f"{database}: recovered {time.monotonic() - started:.2f} s after the repair")
    assert call(app, "GET", "/health/ready")[0].status_code == 200
