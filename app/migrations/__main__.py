"""`python -m app.migrations`: upgrade the app's database to the migrations' head.

Safe to run from several replicas at once: env.py takes an advisory lock, so one process applies
each revision while the others wait and then find the database at head.
"""

import sys

from alembic import command

from app.core.config import Settings
from app.migrations.command_line import run_command
from app.migrations.config import alembic_config


def main() -> int:
    """Upgrade to head; a database that cannot be used is one line and exit status 1."""
    return run_command("Migration", upgrade_to_head)


def upgrade_to_head(settings: Settings) -> None:
    """Alembic's `upgrade head` on the database `settings` name."""
    command.upgrade(alembic_config(settings), "head")


if __name__ == "__main__":
    sys.exit(main())
