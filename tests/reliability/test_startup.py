"""Startup while PostgreSQL is still down: the lifespan's retry waits for it."""

import asyncio
import time

import pytest

from devstack.app_process import AppProcess
from devstack.servers import answers_ok
from tests.reliability.stack import Stack

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow


def answers_health(app: AppProcess) -> bool:
    return answers_ok(f"{app.url}/health")


async def test_app_starts_when_postgres_appears_during_the_retry(stack: Stack) -> None:
    env = {**stack.env, "POSTGRES_DB": "syncdesk_late", "MONGO_DB": "syncdesk_late"}
    app = AppProcess(env=env, log_path=stack.app.log_path.with_name("late.log"))
    stack.postgres.stop()
    try:
        app.start()
        await asyncio.sleep(2)  # the scenario: Postgres appears two seconds into the retry
        assert not answers_health(app)  # still retrying, not serving without its database
        await asyncio.to_thread(stack.postgres.start)
        started = time.monotonic()
        await asyncio.to_thread(app.wait_ready, 30)
        print(f"app ready {time.monotonic() - started:.2f} s after PostgreSQL came up")
        assert "Startup failed" not in app.output()
    finally:
        if stack.postgres.process is None:
            stack.postgres.start()
        app.terminate()
