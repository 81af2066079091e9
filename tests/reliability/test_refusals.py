"""PostgreSQL answering but refusing (starting up, out of slots, shutting down) is an outage:
503 within 3 s, readiness names postgres, recovery without a restart, and a startup that
waits it out (or says so in one line)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import Settings
from app.db.postgres.retry import ATTEMPTS, WAIT_SECONDS
from devstack.app_process import AppProcess
from devstack.servers import wait_until
from tests.budgets import (
    CONDITION_GUARD_SECONDS,
    PROCESS_MARGIN_SECONDS,
    UNAVAILABLE_WITHIN_SECONDS,
)
from tests.forked_processes import ForkedAppProcess
from tests.pg_proxy import ADMIN_SHUTDOWN, STARTING_UP, TOO_MANY_CLIENTS, PgProxy
from tests.reliability.routes import POSTGRES_ROUTES, answers_health, call, routes_all_work
from tests.reliability.stack import Stack, startup_env

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

REFUSALS = {"starting up": STARTING_UP, "too many clients": TOO_MANY_CLIENTS,
            "admin shutdown": ADMIN_SHUTDOWN}  # fmt: skip


@pytest.fixture
def proxy(stack: Stack) -> Iterator[PgProxy]:
    """A proxy in front of the stack's PostgreSQL, forwarding until told otherwise."""
    proxy = PgProxy(upstream_port=stack.postgres.port).start()
    yield proxy
    proxy.stop()


def app_behind(
    proxy: PgProxy, env: dict[str, str], log: Path, name: str | None = None
) -> AppProcess:
    names = {"POSTGRES_DB": name, "MONGO_DB": name} if name else {}
    return ForkedAppProcess(env={**env, **names, "POSTGRES_PORT": str(proxy.port)}, log_path=log)


@pytest.fixture
def app(proxy: PgProxy, stack: Stack, tmp_path: Path) -> Iterator[AppProcess]:
    app = app_behind(proxy, stack.env, tmp_path / "app.log", "syncdesk_refusals")
    app.start()
    app.wait_ready()
    yield app
    app.terminate()


@pytest.mark.parametrize("refusal", REFUSALS)
def test_refused_logins_are_503_within_3_s_and_recover(
    app: AppProcess, proxy: PgProxy, refusal: str
) -> None:
    proxy.refuse(REFUSALS[refusal])
    proxy.cut()  # pooled connections die too, so every request needs a new login

    for method, path in POSTGRES_ROUTES:
        response, elapsed = call(app, method, path)
        print(f"{refusal}: {method} {path} -> {response.status_code} in {elapsed:.2f} s")
        assert response.status_code == 503, (method, path, response.text)
        assert list(response.json()) == ["detail"]
        assert elapsed < UNAVAILABLE_WITHIN_SECONDS
    ready, elapsed = call(app, "GET", "/health/ready")
    assert (ready.status_code, ready.json()["checks"]) == (
        503,
        {"postgres": "unavailable", "mongo": "ok"},
    )
    assert elapsed < UNAVAILABLE_WITHIN_SECONDS

    proxy.forward()
    wait_until(
        lambda: routes_all_work(app, POSTGRES_ROUTES),
        timeout=CONDITION_GUARD_SECONDS,
        what="recovery",
    )
    assert call(app, "GET", "/health/ready")[0].status_code == 200
    assert "Traceback" not in app.output()


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_startup_waits_while_postgres_is_starting_up(
    proxy: PgProxy, stack: Stack, tmp_path: Path, environment: str
) -> None:
    env = await startup_env(stack, environment, f"syncdesk_late_refusal_{environment}")
    proxy.refuse(STARTING_UP)
    app = app_behind(proxy, env, tmp_path / "app.log")
    app.start()
    try:
        wait_until(
            lambda: len(proxy.logins) >= 3,
            timeout=CONDITION_GUARD_SECONDS,
            what="three refused logins",
        )
        assert not answers_health(app)  # still retrying: not serving yet

        proxy.forward()
        app.wait_ready(timeout=CONDITION_GUARD_SECONDS)
        assert "Startup failed" not in app.output()
        assert "Traceback" not in app.output()
    finally:
        app.terminate()


def test_startup_gives_up_after_the_retries_in_one_line(
    proxy: PgProxy, stack: Stack, tmp_path: Path
) -> None:
    proxy.refuse(TOO_MANY_CLIENTS)
    app = app_behind(proxy, stack.env, tmp_path / "app.log", "syncdesk_never")
    # Each attempt is bounded by the connect timeout, and the attempts are 500 ms apart.
    connect_timeout = Settings.model_fields["POSTGRES_CONNECT_TIMEOUT"].default
    retries = ATTEMPTS * connect_timeout + (ATTEMPTS - 1) * WAIT_SECONDS
    app.start()
    try:
        status = app.wait_exit(timeout=retries + PROCESS_MARGIN_SECONDS)
    finally:
        app.terminate()  # a process past its budget must not outlive the test

    output = app.output()
    assert status != 0
    assert len(proxy.logins) == ATTEMPTS
    assert (
        f"Startup failed: PostgreSQL at 127.0.0.1:{proxy.port}/syncdesk_never is unavailable: "
        f"no connection after {ATTEMPTS} attempts (TooManyConnectionsError, SQLSTATE 53300)"
    ) in output
    assert "Traceback" not in output
