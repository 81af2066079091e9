"""FastAPI dependency giving each request its own `AsyncSession`."""

from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.exceptions import DatabaseUnavailableError
from app.db.postgres.engine import async_session, get_autocommit_engine, get_engine, is_unavailable

# Safe methods only read, so their sessions run in autocommit: a read is one round trip
# instead of three (BEGIN, the query, ROLLBACK). A write in a GET handler would commit at once.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_postgres_session(request: Request) -> AsyncGenerator[AsyncSession, None]:
    """One session per request, closed afterwards, also when the handler raises."""
    read_only = request.method in READ_ONLY_METHODS
    session = async_session(bind=get_autocommit_engine() if read_only else get_engine())
    try:
        try:
            yield session
        finally:
            await _close(session, rollback_due=not read_only and session.in_transaction())
    except Exception as exc:
        if is_unavailable(exc):
            raise DatabaseUnavailableError("PostgreSQL") from exc
        raise


async def _close(session: AsyncSession, *, rollback_due: bool) -> None:
    if rollback_due:
        async with session:  # finishes the ROLLBACK round trip even if the request is cancelled
            pass
    else:
        # Nothing left to send, so no await a cancellation could cut short: skip the task per
        # request that `async with` spends on shielding the close.
        await session.close()


# scope="function": the session closes once the response is built, before it is sent, so a
# pool as large as the concurrency is never short (no overflow connections opened and closed
# under load), and a failing close can still answer 503.
PgSessionDep = Annotated[AsyncSession, Depends(get_postgres_session, scope="function")]


async def get_postgres_engine() -> AsyncEngine:
    """The process's engine, for checks that need a connection rather than a session."""
    return get_engine()


PgEngineDep = Annotated[AsyncEngine, Depends(get_postgres_engine)]
