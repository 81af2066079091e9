"""Startup while PostgreSQL is still down: the lifespan's retry waits for it."""

import asyncio
import time

import pytest

from devstack.servers import wait_until
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.forked_processes import ForkedAppProcess
from tests.reliability.routes import POSTGRES_ROUTES, answers_health, routes_all_work
from tests.reliability.stack import Stack, startup_env

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_app_starts_when_postgres_appears_during_the_retry(
    stack: Stack, environment: str
) -> None:
    env = await startup_env(stack, environment, f"syncdesk_late_{environment}")
    app = ForkedAppProcess(
        env=env, log_path=stack.app.log_path.with_name(f"late-{environment}.log")
    )
    stack.postgres.stop()
    try:
        app.start()
        await asyncio.sleep(2)  # the scenario: Postgres appears two seconds into the retry
        assert not answers_health(app)  # still retrying, not serving without its database
        await asyncio.to_thread(stack.postgres.start)
        started = time.monotonic()
        await asyncio.to_thread(app.wait_ready, CONDITION_GUARD_SECONDS)
        print(f"app ready {time.monotonic() - started:.2f} s after PostgreSQL came up")
        assert "Startup failed" not in app.output()
    finally:
        if stack.postgres.process is None:
            stack.postgres.start()
        app.terminate()
        # The stack's app kept its pooled connections through the restart; the first request
        # to find one dead is a 503. Let it be this test's, not the next one's setup.
        wait_until(
            lambda: routes_all_work(stack.app, POSTGRES_ROUTES),
            timeout=CONDITION_GUARD_SECONDS,
            what="the stack's app serving again",
        )
