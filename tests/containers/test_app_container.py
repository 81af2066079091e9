"""The app container's commands, run natively against real servers: uvicorn, its healthcheck
and the migrations."""

import asyncio
import importlib.util
import json
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.db.postgres.engine import create_engine
from devstack.app_process import PROJECT_ROOT, ServingProcess
from devstack.servers import (
    MongoServer,
    PostgresServer,
    answers_ok,
    free_port,
    running_servers,
    wait_until,
)
from tests.budgets import CONDITION_GUARD_SECONDS, PROCESS_MARGIN_SECONDS
from tests.commands import run_command
from tests.containers.dockerfile import stages
from tests.containers.native import container_env, copy_build_context
from tests.databases import create_postgres_database

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow


def healthcheck_timeout() -> float:
    spec = importlib.util.spec_from_file_location(
        "healthcheck", PROJECT_ROOT / "docker" / "healthcheck.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return float(module.TIMEOUT_SECONDS)


HEALTHCHECK_TIMEOUT = healthcheck_timeout()
# What a deploy job runs before the app: docker run IMAGE python -m app.migrations
IMAGE_MIGRATE = ["python", "-m", "app.migrations"]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[PostgresServer, MongoServer]]:
    with running_servers() as pair:
        yield pair


@pytest.fixture(scope="module")
def app_settings(servers: tuple[PostgresServer, MongoServer]) -> dict[str, str]:
    """What compose gives the app, pointed at the throwaway servers and databases of our own."""
    postgres, mongo = servers
    database = f"syncdesk_containers_{secrets.token_hex(4)}"
    return {
        **postgres.env(),
        **mongo.env(),
        "ENVIRONMENT": "development",
        "POSTGRES_DB": database,
        "MONGO_DB": database,
        "POSTGRES_ECHO": "false",
        # Two workers on the 2-core CI machine whatever its CPU count: they recreate the tables
        # one after the other (an advisory lock), as replicas starting together would.
        "WEB_CONCURRENCY": "2",
    }


def on_port(argv: list[str], port: int) -> list[str]:
    """The container's command with its `--port` moved to a free one."""
    position = argv.index("--port") + 1
    return [*argv[:position], str(port), *argv[position + 1 :]]


def serve(target: str, settings: dict[str, str], log_path: Path) -> tuple[ServingProcess, str]:
    """Start the Docker target's CMD as it is, on a free port; wait until `/health` answers."""
    port = free_port()
    app = ServingProcess(
        on_port(stages()[target].command, port), container_env(**settings), log_path
    )
    app.start()
    url = f"http://127.0.0.1:{port}"
    try:
        app.wait_answering(f"{url}/health")
    except BaseException:
        app.terminate()
        raise
    return app, url


@pytest.fixture(scope="module")
def app_url(
    app_settings: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The image's default command serving the app, with one worker: the healthcheck's tests
    need no second one (two workers serving is `test_container_command_serves_the_app`'s)."""
    settings = {**app_settings, "WEB_CONCURRENCY": "1"}
    app, url = serve("runtime", settings, tmp_path_factory.mktemp("app") / "uvicorn.log")
    yield url
    app.terminate()


@pytest.fixture(scope="module")
def healthcheck(services: dict[str, Any]) -> list[str]:
    test: list[str] = services["app"]["healthcheck"]["test"]
    kind, *argv = test
    assert kind == "CMD"
    return argv


def run_healthcheck(argv: list[str], url: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The compose healthcheck, given the URL the app listens on here; and its duration."""
    started = time.monotonic()
    result = subprocess.run(
        [*argv, url],
        cwd=PROJECT_ROOT,
        env=container_env(),
        capture_output=True,
        text=True,
        timeout=HEALTHCHECK_TIMEOUT + 10,
        check=False,
    )
    return result, time.monotonic() - started


def ready(url: str) -> bool:
    return answers_ok(f"{url}/health/ready", timeout=5)


@pytest.mark.parametrize("target", ["runtime", "dev"])
def test_container_command_serves_the_app(
    target: str, app_settings: dict[str, str], tmp_path: Path
) -> None:
    app, url = serve(target, app_settings, tmp_path / "uvicorn.log")
    try:
        with urllib.request.urlopen(f"{url}/health/ready", timeout=5) as response:  # noqa: S310
            body = json.load(response)
    finally:
        status = app.terminate()

    assert body == {"status": "ok", "checks": {"postgres": "ok", "mongo": "ok"}}
    # uvicorn re-raises SIGTERM after a clean shutdown, as `docker stop` expects.
    assert status in (0, -signal.SIGTERM), app.output()[-3000:]
    assert "Traceback" not in app.output()


def test_healthcheck_passes_against_a_ready_app(healthcheck: list[str], app_url: str) -> None:
    wait_until(lambda: ready(app_url), timeout=CONDITION_GUARD_SECONDS, what="/health/ready")

    result, _ = run_healthcheck(healthcheck, f"{app_url}/health/ready")

    assert result.returncode == 0, result.stderr


Fault = Callable[[PostgresServer, MongoServer], None]
FAULTS: dict[str, tuple[Fault, Fault]] = {
    "postgres stopped": (lambda pg, mongo: pg.stop(), lambda pg, mongo: pg.start()),
    "mongo frozen": (lambda pg, mongo: mongo.pause(), lambda pg, mongo: mongo.resume()),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_healthcheck_fails_in_time_when_a_database_is_down(
    fault: str,
    healthcheck: list[str],
    app_url: str,
    servers: tuple[PostgresServer, MongoServer],
) -> None:
    inject, repair = FAULTS[fault]
    inject(*servers)
    try:
        result, seconds = run_healthcheck(healthcheck, f"{app_url}/health/ready")
    finally:
        repair(*servers)

    assert result.returncode == 1
    assert "HTTP Error 503" in result.stderr
    assert seconds < HEALTHCHECK_TIMEOUT


def test_healthcheck_gives_up_after_its_timeout_when_the_app_hangs(healthcheck: list[str]) -> None:
    # A socket that accepts connections (the kernel's backlog) but never answers.
    with socket.create_server(("127.0.0.1", 0)) as hung:
        port = hung.getsockname()[1]
        result, seconds = run_healthcheck(healthcheck, f"http://127.0.0.1:{port}/health/ready")

    assert result.returncode == 1
    assert "timed out" in result.stderr
    assert HEALTHCHECK_TIMEOUT <= seconds < HEALTHCHECK_TIMEOUT + PROCESS_MARGIN_SECONDS


def test_healthcheck_fails_when_nothing_listens(healthcheck: list[str], refused_port: int) -> None:
    result, _ = run_healthcheck(healthcheck, f"http://127.0.0.1:{refused_port}/health/ready")

    assert result.returncode == 1
    assert "unhealthy" in result.stderr


async def execute(settings: Settings, statement: str) -> None:
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def fetch_ids(settings: Settings) -> list[str]:
    engine = create_engine(settings)
    async with engine.connect() as connection:
        ids = list(await connection.scalars(text("SELECT id FROM items")))
    await engine.dispose()
    return ids


def run_in(workdir: Path, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_command(argv, cwd=workdir, env=env)


async def test_runtime_image_left_to_its_defaults_is_production_and_drops_no_table(
    scratch_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    """`docker run IMAGE` with only the database settings, on a database with data."""
    database = settings.model_copy(update={"POSTGRES_DB": scratch_env["POSTGRES_DB"]})
    await create_postgres_database(settings, database.POSTGRES_DB)
    await execute(database, "CREATE TABLE items AS SELECT 'kept' AS id")
    env = container_env(**scratch_env)
    del env["ENVIRONMENT"]  # not set by whoever runs the image: the image's own default applies
    env |= stages()["runtime"].env
    app = ServingProcess(on_port(stages()["runtime"].command, free_port()), env, tmp_path / "log")
    app.start()
    try:
        status = await asyncio.to_thread(app.wait_exit, CONDITION_GUARD_SECONDS)
    finally:
        app.terminate()  # a process that did not stop by itself must not outlive the test

    assert status == 3
    assert "behind this code's" in app.output()
    assert await fetch_ids(database) == ["kept"]


@pytest.mark.long
async def test_runtime_image_migrates_an_empty_database_then_serves_in_production(
    scratch_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    """The image's own files (its COPY instructions, laid out as in /app) run the migrations."""
    workdir = copy_build_context(stages()["runtime"], tmp_path / "app")
    await create_postgres_database(settings, scratch_env["POSTGRES_DB"])
    env = {**scratch_env, "ENVIRONMENT": "production"}

    migrated = await asyncio.to_thread(run_in, workdir, IMAGE_MIGRATE, container_env(**env))
    assert migrated.returncode == 0, migrated.stderr
    assert "Running upgrade  -> " in migrated.stderr
    app, url = await asyncio.to_thread(serve, "runtime", env, tmp_path / "uvicorn.log")
    try:
        is_ready = await asyncio.to_thread(ready, url)
    finally:
        app.terminate()

    assert is_ready, app.output()[-3000:]
