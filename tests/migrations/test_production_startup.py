"""A production app checks the schema's revision at startup: it never creates or drops tables."""

from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.db.postgres.retry import ATTEMPTS, WAIT_SECONDS
from app.migrations.config import head_revisions
from devstack.app_process import AppProcess
from devstack.servers import PostgresServer
from tests.budgets import CONDITION_GUARD_SECONDS, SCHEDULING_MARGIN_SECONDS
from tests.credentials import HOSTILE_PASSWORD
from tests.databases import patient_engine, tables
from tests.log_lines import message, seconds_between
from tests.migrations.migrate import migrate

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

StartApp = Callable[..., AppProcess]
UNKNOWN_REVISION = "f00dfeedcafe"


def production(env: dict[str, str]) -> dict[str, str]:
    return {**env, "ENVIRONMENT": "production"}


def startup_failure(app: AppProcess) -> str:
    """The message of the one line a refused start leaves; no traceback, no password."""
    assert app.wait_exit(timeout=CONDITION_GUARD_SECONDS) != 0
    output = app.output()
    lines = [line for line in output.splitlines() if "Startup failed" in line]
    assert len(lines) == 1, output
    assert "Traceback" not in output, output
    assert HOSTILE_PASSWORD not in output, output
    return message(lines[0])


async def execute(settings: Settings, sql: str, **params: str) -> None:
    engine = patient_engine(settings)
    async with engine.begin() as connection:
        await connection.execute(text(sql), params)
    await engine.dispose()


async def test_production_refuses_an_unmigrated_database_naming_the_command(
    start_app: StartApp, empty_env: dict[str, str], empty_settings: Settings
) -> None:
    app = start_app(production(empty_env), wait=False)

    line = startup_failure(app)
    print(line)
    (head,) = head_revisions()
    assert line.endswith(
        f"Startup failed: PostgreSQL at {empty_settings.postgres_location} is at schema "
        f"revision none, behind this code's {head}: run `just migrate` "
        "(in the image: `python -m app.migrations`), then start the app"
    )
    assert await tables(empty_settings) == set()  # nothing created


async def test_production_serves_once_migrated_and_keeps_the_rows(
    start_app: StartApp, empty_env: dict[str, str], empty_settings: Settings
) -> None:
    assert migrate(empty_env).returncode == 0
    await execute(empty_settings, "INSERT INTO items (id, name) VALUES ('kept', 'K')")

    app = start_app(production(empty_env))
    async with httpx.AsyncClient(base_url=app.url) as client:
        items = await client.get("/items")
        ready = await client.get("/health/ready")

    assert (items.status_code, [item["id"] for item in items.json()]) == (200, ["kept"])
    assert ready.status_code == 200, ready.text


async def test_production_serves_a_schema_ahead_of_the_code_with_a_warning(
    start_app: StartApp, empty_env: dict[str, str], empty_settings: Settings
) -> None:
    assert migrate(empty_env).returncode == 0
    await execute(empty_settings, "UPDATE alembic_version SET version_num = :v", v=UNKNOWN_REVISION)

    app = start_app(production(empty_env))

    async with httpx.AsyncClient(base_url=app.url) as client:
        assert (await client.get("/items")).status_code == 200
    warnings = [line for line in app.output().splitlines() if UNKNOWN_REVISION in line]
    assert len(warnings) == 1, app.output()
    assert "which this code does not know" in warnings[0]


def test_production_startup_on_a_database_not_created_yet_is_one_line(
    start_app: StartApp, scratch_env: dict[str, str]
) -> None:
    app = start_app(production(scratch_env), wait=False)  # a database nobody created

    assert startup_failure(app).endswith("is unavailable: the database does not exist; "
                                         "create it, then run the migrations")  # fmt: skip


def test_production_startup_without_postgres_is_one_line_naming_it(
    start_app: StartApp, scratch_env: dict[str, str], refused_port: int
) -> None:
    port = refused_port

    app = start_app({**production(scratch_env), "POSTGRES_PORT": str(port)}, wait=False)

    location = f"{scratch_env['POSTGRES_HOST']}:{port}/{scratch_env['POSTGRES_DB']}"
    assert startup_failure(app).endswith(
        f"Startup failed: PostgreSQL at {location} is unavailable: "
        f"no connection after {ATTEMPTS} attempts (ConnectionRefusedError)"
    )


@pytest.fixture
def frozen_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL that accepts connections and never answers (SIGSTOP)."""
    server = PostgresServer.create(password=HOSTILE_PASSWORD)
    server.pause()
    yield server
    server.remove()


@pytest.mark.long
def test_production_startup_on_a_hanging_postgres_is_one_line_in_time(
    start_app: StartApp, scratch_env: dict[str, str], frozen_postgres: PostgresServer
) -> None:
    app = start_app({**production(scratch_env), **frozen_postgres.env()}, wait=False)

    line = startup_failure(app)
    # Each attempt ends at the connect timeout (give or take a busy CPU): a bounded wait, not a
    # hang. Timed by the app's own log: the interpreter starting is not counted.
    attempt = Settings.model_fields["POSTGRES_CONNECT_TIMEOUT"].default + SCHEDULING_MARGIN_SECONDS
    budget = ATTEMPTS * attempt + (ATTEMPTS - 1) * WAIT_SECONDS
    seconds = seconds_between(app.output(), "Waiting for application startup", "Startup failed")
    print(f"startup gave up after {seconds:.2f} s (budget {budget} s)")
    assert seconds < budget
    assert f"is unavailable: no connection after {ATTEMPTS} attempts (TimeoutError)" in line
