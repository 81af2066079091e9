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

from app.core.config import get_settings
from app.db.postgres.init_db import create_database
from app.migrations import __main__ as migrate
from app.migrations import autogenerate
from devstack.servers import PostgresServer

SERVER_SETTINGS = frozenset({"POSTGRES_HOST", "POSTGRES_URL"})
USAGE = 'usage: python -m devstack.migrations upgrade | revision "what changed"'


def main(argv: list[str]) -> int:
    """Run the migration command `argv` names; its exit status."""
    match argv:
        case ["upgrade"]:
            with configured_or_throwaway(with_database=True) as throwaway:
                status = migrate.main()
                if throwaway and status == 0:
                    print("The migrations apply cleanly. To migrate your database, set "
                          "POSTGRES_HOST (or POSTGRES_URL) and its credentials.")  # fmt: skip
                return status
        case ["revision", message]:
            with configured_or_throwaway(with_database=False):
                return autogenerate.main(message)
        case _:
            print(USAGE, file=sys.stderr)
            return 2


@contextmanager
def configured_or_throwaway(*, with_database: bool) -> Iterator[bool]:
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
        if with_database:
            asyncio.run(create_database(get_settings().model_copy(update={"POSTGRES_ECHO": False})))
        yield True
    finally:
        server.remove()
        get_settings.cache_clear()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
