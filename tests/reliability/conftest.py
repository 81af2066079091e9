"""Servers of their own for fault injection, and the app running on them under uvicorn."""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from alembic import command

from app.core.config import MongoDriver, Settings
from app.migrations.config import alembic_config
from devstack.app_process import AppProcess
from devstack.servers import MongoServer, PostgresServer, running_servers
from tests.credentials import HOSTILE_PASSWORD
from tests.databases import create_postgres_database, drop_postgres_database


@dataclass
class Stack:
    """Servers these tests may stop or freeze (and must repair), and the app on them."""

    postgres: PostgresServer
    mongo: MongoServer
    app: AppProcess
    env: dict[str, str]


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
        app = AppProcess(env=env, log_path=log)
        app.start()
        app.wait_ready()
        yield Stack(postgres=postgres, mongo=mongo, app=app, env=env)
        app.terminate()


@pytest.fixture(scope="session")
def mongo_app(stack: Stack, mongo_driver: MongoDriver) -> Iterator[AppProcess]:
    """The app on the stack's servers and tables, on one Mongo driver."""
    env = {**stack.env, "ENVIRONMENT": "test", "MONGO_DRIVER": mongo_driver}
    app = AppProcess(env=env, log_path=stack.app.log_path.with_name(f"app-{mongo_driver}.log"))
    app.start()
    app.wait_ready()
    yield app
    app.terminate()


async def migrated_database(stack: Stack, name: str) -> dict[str, str]:
    """The stack's environment in production, on a database `name` migrated to head."""
    env = {**stack.env, "ENVIRONMENT": "production", "POSTGRES_DB": name, "MONGO_DB": name}
    settings = Settings.model_validate(
        {key: value for key, value in env.items() if key in Settings.model_fields}
    )
    await drop_postgres_database(settings, name)
    await create_postgres_database(settings, name)
    config = alembic_config(settings, configure_logging=False)
    await asyncio.to_thread(command.upgrade, config, "head")
    return env
