"""The servers and app process a fault-injection test works on, and databases for startups."""

import asyncio
from dataclasses import dataclass

from alembic import command

from app.core.config import Settings
from app.migrations.config import alembic_config
from devstack.app_process import AppProcess
from devstack.servers import MongoServer, PostgresServer
from tests.databases import create_postgres_database, drop_postgres_database


@dataclass
class Stack:
    """Servers these tests may stop or freeze (and must repair), and the app on them."""

    postgres: PostgresServer
    mongo: MongoServer
    app: AppProcess
    env: dict[str, str]


async def startup_env(stack: Stack, environment: str, name: str) -> dict[str, str]:
    """The stack's environment for a start on database `name`: development creates it;
    production needs it migrated beforehand, as a deploy does."""
    env = {**stack.env, "ENVIRONMENT": environment, "POSTGRES_DB": name, "MONGO_DB": name}
    if environment == "production":
        settings = Settings.model_validate(
            {key: value for key, value in env.items() if key in Settings.model_fields}
        )
        await drop_postgres_database(settings, name)
        await create_postgres_database(settings, name)
        config = alembic_config(settings, configure_logging=False)
        await asyncio.to_thread(command.upgrade, config, "head")
    return env
