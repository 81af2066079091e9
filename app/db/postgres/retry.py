"""Startup's patience with a PostgreSQL that is not there yet: 10 attempts, 500 ms apart.

Only outages that clear by themselves are retried (refused, unreachable, starting up, out of
slots); a refused login, certificate or TLS fails at once. After the last attempt the failure
becomes one `DatabaseUnavailableError` naming the database and the cause.
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_fixed

from app.db.postgres.failures import is_connection_error, unavailable_error

ATTEMPTS = 10
WAIT_SECONDS = 0.5

T = TypeVar("T")


async def retry_outages(operation: Callable[[], Awaitable[T]], *, database: str) -> T:
    """Run `operation`, again while the server is out; `database` names it in the error."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_fixed(WAIT_SECONDS),
        retry=retry_if_exception(is_connection_error),
        reraise=True,  # after the last attempt, its own error, translated below
    )
    try:
        return await retrying(operation)
    except Exception as exc:
        attempts = retrying.statistics.get("attempt_number", 1)
        if error := unavailable_error(exc, database=database, attempts=attempts):
            raise error from exc
        raise
