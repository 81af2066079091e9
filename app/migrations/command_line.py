"""The migration commands' one-line failure: a database that cannot be used is not a traceback."""

import sys
from collections.abc import Callable

from app.core.config import Settings, get_settings
from app.db.postgres.failures import unavailable_error


def run_command(name: str, operation: Callable[[Settings], object]) -> int:
    """Run `operation` on the settings; exit status 0, or 1 with `{name} failed: ...` on
    stderr when the database cannot be used. Any other error is raised."""
    settings = get_settings()
    try:
        operation(settings)
    except Exception as exc:
        if (error := unavailable_error(exc, database=settings.postgres_server)) is None:
            raise
        print(f"{name} failed: {error}", file=sys.stderr)
        return 1
    return 0
