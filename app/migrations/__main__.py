"""`python -m app.migrations`: upgrade the app's database to the migrations' head.

Safe to run from several replicas at once: env.py takes an advisory lock, so one process applies
each revision while the others wait and then find the database at head.
"""

import sys

from alembic import command

from app.core.config import get_settings
from app.migrations.config import alembic_config
from app.migrations.revision import is_unusable, unavailable


def main() -> int:
    """Upgrade to head; a database that cannot be used is one line and exit status 1."""
    settings = get_settings()
    try:
        command.upgrade(alembic_config(settings), "head")
    except Exception as exc:
        if not is_unusable(exc):
            raise
        print(f"Migration failed: {unavailable(settings, exc)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
