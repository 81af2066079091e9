"""The app as uvicorn runs it: lifespan, startup failures, body limit, shutdown."""

import gc
import http.client
import json
import signal
import time
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import MongoDriver, Settings
from app.main import YOUNG_GENERATION_GC_THRESHOLD, create_app, lifespan
from devstack.app_process import AppProcess
from tests.budgets import CONDITION_GUARD_SECONDS, SCHEDULING_MARGIN_SECONDS, STOP_GRACE_SECONDS
from tests.credentials import HOSTILE_PASSWORD
from tests.databases import scratch_databases
from tests.forked_processes import ForkedAppProcess
from tests.http_clients import http_client
from tests.in_flight import finish_request, open_in_flight
from tests.log_lines import seconds_between

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

StartApp = Callable[..., AppProcess]


def test_development_lifespan_creates_tables_and_serves_both_databases(
    start_app: StartApp, scratch_env: dict[str, str], mongo_driver: MongoDriver
) -> None:
    app = start_app({**scratch_env, "ENVIRONMENT": "development", "MONGO_DRIVER": mongo_driver})

    ready = http_client.get(f"{app.url}/health/ready")
    item = http_client.post(f"{app.url}/items", json={"id": "a", "name": "A"})
    event = http_client.post(f"{app.url}/events", json={"type": "t"})

    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ok", "checks": {"postgres": "ok", "mongo": "ok"}},
    )
    assert (item.status_code, event.status_code) == (201, 201)


def test_development_lifespan_recreates_tables_on_each_start(
    start_app: StartApp, scratch_env: dict[str, str]
) -> None:
    env = {**scratch_env, "ENVIRONMENT": "development"}
    first = start_app(env)
    http_client.post(f"{first.url}/items", json={"id": "a", "name": "A"}).raise_for_status()
    first.terminate()

    second = start_app(env)

    assert http_client.get(f"{second.url}/items").json() == []


def test_test_environment_keeps_existing_rows(
    start_app: StartApp, scratch_env: dict[str, str]
) -> None:
    first = start_app({**scratch_env, "ENVIRONMENT": "development"})
    http_client.post(f"{first.url}/items", json={"id": "kept", "name": "K"}).raise_for_status()
    first.terminate()

    second = start_app({**scratch_env, "ENVIRONMENT": "test"})

    assert [item["id"] for item in http_client.get(f"{second.url}/items").json()] == ["kept"]


def assert_one_clear_line(app: AppProcess, expected: str) -> None:
    output = app.output()
    assert expected in output, output
    assert "Traceback" not in output, output
    assert HOSTILE_PASSWORD not in output, output


def test_startup_without_postgres_exits_with_one_line_naming_it(
    start_app: StartApp, scratch_env: dict[str, str], refused_port: int
) -> None:
    port = refused_port
    env = {**scratch_env, "ENVIRONMENT": "development", "POSTGRES_PORT": str(port)}

    app = start_app(env, wait=False)

    assert app.wait_exit(timeout=CONDITION_GUARD_SECONDS) != 0
    database = scratch_env["POSTGRES_DB"]
    assert_one_clear_line(
        app,
        f"Startup failed: PostgreSQL at {env['POSTGRES_HOST']}:{port}/{database} is unavailable",
    )
    assert "after 10 attempts" in app.output()


def test_startup_without_mongo_fails_fast_with_one_line(
    start_app: StartApp, scratch_env: dict[str, str], mongo_driver: MongoDriver, refused_port: int
) -> None:
    port = refused_port
    env = {
        **scratch_env,
        "ENVIRONMENT": "test",
        "MONGO_PORT": str(port),
        "MONGO_DRIVER": mongo_driver,
        "LOG_FORMAT": "json",  # timed lines
    }

    app = start_app(env, wait=False)

    assert app.wait_exit(timeout=CONDITION_GUARD_SECONDS) != 0
    # The driver's budget for the ping, timed by the app's own log (not the process's start).
    budget = Settings.model_fields["MONGO_TIMEOUT_MS"].default / 1000 + SCHEDULING_MARGIN_SECONDS
    seconds = seconds_between(app.output(), "Waiting for application startup", "Startup failed")
    print(f"startup gave up after {seconds:.2f} s (budget {budget} s)")
    assert seconds < budget
    assert_one_clear_line(app, f"Startup failed: MongoDB at {env['MONGO_HOST']}:{port}/")


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"POSTGRES_PASSWORD": "postgres"}, "POSTGRES_PASSWORD"),
        ({"MONGO_USER": "root", "MONGO_PASSWORD": ""}, "MONGO_PASSWORD"),
    ],
)
def test_production_refuses_development_credentials(
    start_app: StartApp, scratch_env: dict[str, str], overrides: dict[str, str], variable: str
) -> None:
    app = start_app({**scratch_env, "ENVIRONMENT": "production", **overrides}, wait=False)

    assert app.wait_exit(timeout=CONDITION_GUARD_SECONDS) != 0
    assert_one_clear_line(app, f"Startup failed: {variable}")


@pytest.fixture(scope="module")
async def live_app(
    test_env: dict[str, str], settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AppProcess]:
    """The app on databases of its own (what it stores shows in no other test's listing),
    started once for the body-limit tests (once per xdist worker that runs one), which change
    neither it nor its settings."""
    async with scratch_databases(test_env, settings) as env:
        log_path = tmp_path_factory.mktemp("live-app") / "app.log"
        app = ForkedAppProcess(env={**env, "ENVIRONMENT": "development"}, log_path=log_path)
        app.start()
        try:
            app.wait_ready()
            yield app
        finally:
            app.terminate()


def post_raw(app: AppProcess, headers: dict[str, str], chunks: list[bytes]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    connection.putrequest("POST", "/events")
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    try:
        for chunk in chunks:
            connection.send(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before reading everything
    response = connection.getresponse()
    answer = response.status, response.read()
    connection.close()
    return answer


def test_body_over_one_mib_is_413(live_app: AppProcess) -> None:
    body = b'{"type": "t", "payload": {"x": "' + b"a" * 1_048_576 + b'"}}'

    response = http_client.post(
        f"{live_app.url}/events", content=body, headers={"content-type": "application/json"}
    )

    assert (response.status_code, response.json()) == (
        413,
        {"detail": "request body is larger than 1048576 bytes"},
    )


def test_chunked_body_over_one_mib_is_413(live_app: AppProcess) -> None:
    chunk = b"a" * 65_536
    chunked = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(17)] + [b"0\r\n\r\n"]
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}

    status, body = post_raw(live_app, headers, chunked)

    assert (status, json.loads(body)) == (
        413,
        {"detail": "request body is larger than 1048576 bytes"},
    )


def test_body_of_exactly_one_mib_is_parsed(live_app: AppProcess) -> None:
    prefix, suffix = b'{"type": "t", "payload": {"x": "', b'"}}'
    body = prefix + b"a" * (1_048_576 - len(prefix) - len(suffix)) + suffix

    response = http_client.post(
        f"{live_app.url}/events", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 201


def test_sigterm_lets_in_flight_requests_finish_and_exits_cleanly(
    start_app: StartApp, scratch_env: dict[str, str], mongo_driver: MongoDriver
) -> None:
    env = {**scratch_env, "ENVIRONMENT": "development", "MONGO_DRIVER": mongo_driver}
    live_app = start_app(env)
    body = b'{"type": "shutdown", "payload": {"n": 1}}'
    in_flight = [open_in_flight(live_app.port, "/events", body) for _ in range(5)]
    assert live_app.process is not None
    live_app.process.send_signal(signal.SIGTERM)
    started = time.monotonic()

    responses = [finish_request(sock, body) for sock in in_flight]
    status = live_app.wait_exit(timeout=STOP_GRACE_SECONDS)

    assert time.monotonic() - started < STOP_GRACE_SECONDS
    assert all(r.startswith(b"HTTP/1.1 201 ") for r in responses), responses
    # uvicorn re-raises the signal after a clean shutdown.
    assert status in (0, -signal.SIGTERM), live_app.output()
    output = live_app.output()
    for noise in ("Traceback", "Task was destroyed", "Unclosed", "ERROR", "Exception"):
        assert noise not in output, output


async def test_lifespan_freezes_startup_objects_and_collects_young_ones_less_often(
    settings: Settings,
) -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        async with lifespan(create_app()):
            assert gc.get_threshold() == (YOUNG_GENERATION_GC_THRESHOLD, *threshold[1:])
            assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        if frozen:  # as before: the run's imports frozen (tests/conftest.py), this test's app not
            gc.collect()
            gc.freeze()


def test_development_echoes_each_request_statement_and_no_autocommit_bookkeeping(
    start_app: StartApp, scratch_env: dict[str, str]
) -> None:
    # POSTGRES_ECHO empty is unset: the environment's default decides.
    app = start_app({**scratch_env, "ENVIRONMENT": "development", "POSTGRES_ECHO": ""})
    startup_log_length = len(app.output())

    http_client.get(f"{app.url}/items/echo-probe")
    http_client.get(f"{app.url}/items")

    log = app.output()[startup_log_length:]
    assert "WHERE items.id = $1::VARCHAR" in log
    assert "ORDER BY items.id" in log
    assert "ROLLBACK" not in log
    assert "DBAPI should not BEGIN" not in log


def test_sql_echo_is_off_by_default_outside_development(
    start_app: StartApp, test_env: dict[str, str], pg_engine: AsyncEngine
) -> None:
    # The run's database, whose tables `pg_engine` created.
    app = start_app({**test_env, "ENVIRONMENT": "test", "POSTGRES_ECHO": ""})

    assert http_client.get(f"{app.url}/items").status_code == 200
    assert "SELECT" not in app.output()
