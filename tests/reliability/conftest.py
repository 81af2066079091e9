"""Servers of their own for fault injection, and the app running on them under uvicorn."""

from collections.abc import Iterator

import pytest

from app.core.config import MongoDriver
from devstack.app_process import AppProcess
from devstack.servers import running_servers
from tests.credentials import HOSTILE_PASSWORD
from tests.forked_processes import ForkedAppProcess
from tests.reliability.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_servers(pg_password=HOSTILE_PASSWORD, mongo_password=HOSTILE_PASSWORD) as (
        postgres,
        mongo,
    ):
        env = {
            **postgres.env(),
            **mongo.env(),
            "ENVIRONMENT": "development",
            "POSTGRES_DB": "syncdesk_faults",
            "MONGO_DB": "syncdesk_faults",
            # SQL echo on: the secrets tests read this log.
            "POSTGRES_ECHO": "true",
        }
        log = tmp_path_factory.mktemp("stack") / "app.log"
        app = ForkedAppProcess(env=env, log_path=log)
        app.start()
        app.wait_ready()
        yield Stack(postgres=postgres, mongo=mongo, app=app, env=env)
        app.terminate()


@pytest.fixture(scope="session")
def json_log_stack_app(stack: Stack) -> Iterator[AppProcess]:
    """The app on the stack's servers and tables, writing production's JSON log lines (SQL
    echo still on)."""
    env = {**stack.env, "ENVIRONMENT": "test", "LOG_FORMAT": "json"}
    app = ForkedAppProcess(env=env, log_path=stack.app.log_path.with_name("app-json.log"))
    app.start()
    app.wait_ready()
    yield app
    app.terminate()


@pytest.fixture(scope="session")
def mongo_app(stack: Stack, mongo_driver: MongoDriver) -> Iterator[AppProcess]:
    """The app on the stack's servers and tables, on one Mongo driver."""
    env = {**stack.env, "ENVIRONMENT": "test", "MONGO_DRIVER": mongo_driver}
    app = ForkedAppProcess(
        env=env, log_path=stack.app.log_path.with_name(f"app-{mongo_driver}.log")
    )
    app.start()
    app.wait_ready()
    yield app
    app.terminate()
