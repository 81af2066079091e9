"""`python -m app.migrations`: upgrade the app's database to the migrations' head.

Safe to run from several replicas at once: env.py takes an advisory lock, so one process applies
each revision while the others wait and then find the database at head.
"""

import sys

from alembic import command

from app.core.config import get_settings
from app.db.postgres.failures import unavailable_error
from app.migrations.config import alembic_config


def main() -> int:
    """Upgrade to head; a database that cannot be used is one line and exit status 1."""
    settings = get_settings()
    try:
        command.upgrade(alembic_config(settings), "head")
    except Exception as exc:
        error = unavailable_error(exc, database=f"PostgreSQL at {settings.postgres_location}")
        if error is None:
            raise
        print(f"Migration failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
