"""`just migrate` and `just revision`: on the PostgreSQL the settings name, or a throwaway one.

When neither the environment nor `.env` names a server (POSTGRES_HOST or POSTGRES_URL), there is
no database of yours to change, and no Docker is needed: both recipes start a throwaway
PostgreSQL 18 (as `just dev` does) and remove it afterwards. There `just revision` compares the
models with a database at the migrations' head and writes the revision file; `just migrate`
applies every migration to an empty database, which shows that they run.

    python -m devstack.migrations upgrade
    python -m devstack.migrations revision "what changed"
"""

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from app.core.config import Settings, get_settings
from app.db.postgres.engine import create_one_off_engine
from app.db.postgres.init_db import DDL_TIMEOUT_SECONDS, MAINTENANCE_DATABASE
from app.migrations import __main__ as migrate
from app.migrations import autogenerate
from devstack.servers import PostgresServer

SERVER_SETTINGS = frozenset({"POSTGRES_HOST", "POSTGRES_URL"})
USAGE = 'usage: python -m devstack.migrations upgrade | revision "what changed"'


def main(argv: list[str]) -> int:
    """Run the migration command `argv` names; its exit status."""
    match argv:
        case ["upgrade"]:
            with configured_or_throwaway(create_database=True) as throwaway:
                status = migrate.main()
                if throwaway and status == 0:
                    print("The migrations apply cleanly. To migrate your database, set "
                          "POSTGRES_HOST (or POSTGRES_URL) and its credentials.")  # fmt: skip
                return status
        case ["revision", message]:
            with configured_or_throwaway(create_database=False):
                return autogenerate.main(message)
        case _:
            print(USAGE, file=sys.stderr)
            return 2


@contextmanager
def configured_or_throwaway(*, create_database: bool) -> Iterator[bool]:
    """The settings' server; else a throwaway one for the block (yields whether it is)."""
    if SERVER_SETTINGS & get_settings().model_fields_set:
        yield False
        return
    print("No POSTGRES_HOST or POSTGRES_URL set: using a throwaway PostgreSQL 18, removed "
          "afterwards.", flush=True)  # fmt: skip
    server = PostgresServer.create()
    try:
        os.environ.update(server.env())
        get_settings.cache_clear()
        if create_database:
            asyncio.run(_create_database(get_settings()))
        yield True
    finally:
        server.remove()
        get_settings.cache_clear()


async def _create_database(settings: Settings) -> None:
    engine = create_one_off_engine(
        settings,
        settings.postgres_url_for(MAINTENANCE_DATABASE),
        command_timeout=DDL_TIMEOUT_SECONDS,
        isolation_level="AUTOCOMMIT",
        echo=False,
    )
    try:
        async with engine.connect() as connection:
            name = connection.dialect.identifier_preparer.quote_identifier(settings.POSTGRES_DB)
            await connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
