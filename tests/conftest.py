"""Real servers for the whole run, an isolated database state per test, an HTTP client.

Where the environment names servers (POSTGRES_HOST and MONGO_HOST set, as in compose or
the devcontainer) the suite uses them; otherwise it starts throwaway ones and removes
them at the end. Either way it works in databases named for this run, never the
developer's `syncdesk_db`, and drops them afterwards.

Tests that touch MongoDB run once per driver (`MONGO_DRIVER`): they use `mongo_database`,
`mongo_client`, `mongo_settings` or `mongo_driver`, whose session fixture is parametrised.
Tests that touch only PostgreSQL run once.
"""

import gc
import os
import secrets
import shutil
import signal
import socket
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import get_args

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import ENV_FILE_VARIABLE, MongoDriver, Settings, get_settings
from app.db import init_postgres_db
from app.db.mongo.db import MongoClient, MongoDatabase, close_client, create_client
from app.db.mongo.dependencies import get_mongo_session
from app.db.postgres.engine import create_engine, dispose_engine
from app.main import create_app
from app.models import metadata
from app.observability.logs import configure_logging
from devstack.app_process import AppProcess
from tests.databases import (
    RUN_ID,
    drop_postgres_database,
    drop_with_retries,
    patient_engine,
    scratch_databases,
)
from tests.forked_processes import ForkedAppProcess
from tests.scheduling import schedule
from tests.server_homes import processes_in
from tests.shared_servers import SETTINGS_FILE_VARIABLE, SharedServers, shared_server_env

SHARED_SERVERS = pytest.StashKey[SharedServers]()


def _interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    """A terminated run still tears its fixtures down, so no server outlives it."""
    signal.signal(signal.SIGTERM, _interrupt_on_sigterm)


def servers_named_by_environment() -> bool:
    return bool(os.environ.get("POSTGRES_HOST") and os.environ.get("MONGO_HOST"))


# tryfirst: before xdist starts its workers here, so they inherit SETTINGS_FILE_VARIABLE.
@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """The run's first process starts the shared servers, unless the environment names some."""
    config = session.config
    if servers_named_by_environment() or config.option.collectonly:
        return
    if os.environ.get(SETTINGS_FILE_VARIABLE):
        return  # a worker, or a run inside a test: the servers are started already
    servers = SharedServers()
    servers.start()
    config.stash[SHARED_SERVERS] = servers
    os.environ[SETTINGS_FILE_VARIABLE] = str(servers.settings_file)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported lives as long as the run: garbage collections leave it be.

    The tests' Mongo clients close with a full collection (`close_client`, after each scratch
    database), which walked the ~200,000 objects of the imported app, drivers and tests each
    time: 0.12 s of CPU apiece, 9 s of a run's.
    """
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each xdist worker's share: its expensive tests first, the heaviest first, and the tests
    sharing servers of their own together (`tests.scheduling`)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    items[:] = schedule(items, workers)


def pytest_unconfigure(config: pytest.Config) -> None:
    if (servers := config.stash.get(SHARED_SERVERS, None)) is not None:
        del os.environ[SETTINGS_FILE_VARIABLE]
        servers.stop()


@pytest.fixture(scope="session", autouse=True)
def ignore_developer_dotenv() -> Iterator[None]:
    """No `.env` is read, here or in the app processes tests start: its edits must not
    change results. Every setting a test relies on is set in the environment."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_FILE_VARIABLE, "")
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """None of the app's settings in the environment, for tests of the defaults; the cached
    settings are forgotten afterwards, so no other test sees those built here."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    yield
    get_settings.cache_clear()


@pytest.fixture
def server_homes_parent() -> Iterator[Path]:
    """A folder for throwaway servers' homes (pass it as TMPDIR) that PostgreSQL's OS user
    may enter (pytest's temporary folders are root's alone)."""
    parent = Path(tempfile.mkdtemp(prefix="syncdesk-test-homes-"))
    parent.chmod(0o755)
    yield parent
    for process in processes_in(parent):  # left by a failed test: not by the next run too
        process.kill()
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections for the whole test: bound, never listening,
    so no server another worker starts meanwhile can take it. A port merely free when asked was
    once taken by such a server, and the test met it instead of a refusal."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@pytest.fixture(scope="session")
def server_env() -> dict[str, str]:
    """Connection settings of the servers this run uses: those the environment names, or
    the run's shared throwaway ones (waited for: they start while the workers do)."""
    if servers_named_by_environment():
        return {}
    try:
        return shared_server_env()
    except (TimeoutError, RuntimeError) as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def test_env(server_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The process environment the app reads during the run: this run's databases."""
    env = {
        **server_env,
        "ENVIRONMENT": "test",
        "POSTGRES_DB": f"syncdesk_test_{RUN_ID}",
        "MONGO_DB": f"syncdesk_test_{RUN_ID}",
        "POSTGRES_ECHO": "false",
        # A URL in the environment or `.env` would win over the parts: never the developer's.
        "POSTGRES_URL": "",
        "MONGO_URL": "",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        yield {**os.environ}
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def settings(test_env: dict[str, str]) -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
async def pg_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on this run's database, created with its tables, dropped at the end."""
    await init_postgres_db(settings.model_copy(update={"ENVIRONMENT": "development"}))
    engine = create_engine(settings)
    yield engine
    await engine.dispose()
    await dispose_engine()  # the app's own, which route tests used
    await drop_postgres_database(settings, settings.POSTGRES_DB)


@pytest.fixture(scope="session", params=get_args(MongoDriver))
def mongo_driver(request: pytest.FixtureRequest) -> MongoDriver:
    """Each driver in turn: every test that depends on this runs once per driver."""
    driver: MongoDriver = request.param
    return driver


@pytest.fixture(scope="session")
def mongo_settings(settings: Settings, mongo_driver: MongoDriver) -> Settings:
    """This run's settings on one Mongo driver."""
    return settings.model_copy(update={"MONGO_DRIVER": mongo_driver})


@pytest.fixture(scope="session")
async def mongo_client(mongo_settings: Settings) -> AsyncIterator[MongoClient]:
    """A client of one driver, made as the app makes it."""
    client = create_client(mongo_settings)
    yield client
    await drop_with_retries(client, mongo_settings.MONGO_DB)
    await close_client(client)


@pytest.fixture
async def pg_session(pg_engine: AsyncEngine, empty_tables: None) -> AsyncIterator[AsyncSession]:
    """A session whose commits are SAVEPOINTs in a transaction rolled back after the test
    (before the tables are emptied, which would wait for it)."""
    async with pg_engine.connect() as connection:
        transaction = await connection.begin()
        async with AsyncSession(
            bind=connection,
            join_transaction_mode="create_savepoint",
            autoflush=False,
            expire_on_commit=False,
        ) as session:
            yield session
        await transaction.rollback()


@pytest.fixture
async def mongo_database(
    mongo_client: MongoClient, settings: Settings
) -> AsyncIterator[MongoDatabase]:
    """A database of its own for one test, dropped afterwards."""
    name = f"{settings.MONGO_DB}_{secrets.token_hex(4)}"
    yield mongo_client[name]
    await drop_with_retries(mongo_client, name)


@pytest.fixture
async def unreachable_mongo(
    mongo_settings: Settings, refused_port: int
) -> AsyncIterator[MongoDatabase]:
    """The driver's own client on a port where no server listens; gives up within 0.3 s."""
    nowhere = mongo_settings.model_copy(
        update={"MONGO_PORT": refused_port, "MONGO_TIMEOUT_MS": 300}
    )
    client = create_client(nowhere)
    yield client["nowhere"]
    await close_client(client)


def undeclared_mongo_session() -> MongoDatabase:
    pytest.fail("this test reaches MongoDB: request the `mongo_database` fixture")


@pytest.fixture(scope="session")
async def cleanup_engine(pg_engine: AsyncEngine, settings: Settings) -> AsyncIterator[AsyncEngine]:
    """A patient engine for emptying the tables: TRUNCATE waits for the test's sessions to end.
    One per run, as a connection opened per test cost more than the TRUNCATE."""
    engine = patient_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def empty_tables(cleanup_engine: AsyncEngine) -> AsyncIterator[None]:
    """Every table emptied after the test, for tests whose requests commit."""
    yield
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with cleanup_engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables}"))


@pytest.fixture(scope="session")
def shared_app(settings: Settings) -> FastAPI:
    """The app built once for the tests that keep the run's settings: FastAPI prepares each
    route on the first request an app serves, ~20 ms that every test paid for an app of its own."""
    return create_app()


@pytest.fixture
def app(
    settings: Settings, empty_tables: None, request: pytest.FixtureRequest
) -> Iterator[FastAPI]:
    """The app on this run's databases (built for the test if it changed the settings).

    PostgreSQL: the app's own session dependencies, so each handler gets the kind of session
    production gives it (a transaction, or autocommit for `PgReadSessionDep`); what requests
    commit is emptied after the test. MongoDB: `get_mongo_session` is overridden with the
    test's `mongo_database` when the test requests it (and so runs once per driver); a
    PostgreSQL-only test gets none and runs once.
    """
    test_mongo_session = undeclared_mongo_session
    if "mongo_database" in request.fixturenames:
        mongo_database: MongoDatabase = request.getfixturevalue("mongo_database")

        def test_mongo_session() -> MongoDatabase:
            return mongo_database

    if get_settings() == settings:  # so the shared app, built on first use, has them too
        configure_logging(settings)  # another test's app may have switched the log format
        app: FastAPI = request.getfixturevalue("shared_app")
    else:
        app = create_app()
    app.dependency_overrides[get_mongo_session] = test_mongo_session
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """An HTTP client calling the app in process."""
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def scratch_env(
    test_env: dict[str, str], settings: Settings
) -> AsyncIterator[dict[str, str]]:
    """Environment naming databases of their own for one test, dropped afterwards."""
    async with scratch_databases(test_env, settings) as env:
        yield env


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Callable[..., AppProcess]]:
    """Start the app under uvicorn with an environment; stopped after the test."""
    started: list[AppProcess] = []

    def start(env: dict[str, str], *, wait: bool = True) -> AppProcess:
        app = ForkedAppProcess(env=env, log_path=tmp_path / f"app-{len(started)}.log")
        started.append(app)
        app.start()
        if wait:
            app.wait_ready()
        return app

    yield start
    for app in started:
        app.terminate()
