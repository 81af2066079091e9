"""FastAPI dependencies giving each request its own `AsyncSession`.

`PgSessionDep` is the seed's session: one transaction per request, for every method; commit
what you write. `PgReadSessionDep` is for handlers that only read: its statements run in
autocommit, one round trip each instead of three (BEGIN, the query, ROLLBACK), and each sees
its own snapshot. A route chooses it by name; a write through it would commit at once.
"""

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.postgres.engine import async_session, get_autocommit_engine, get_engine
from app.db.postgres.failures import unavailable_error

# How the HTTP answer names the database: host names stay in the logs.
DATABASE = "PostgreSQL"


async def get_postgres_session() -> AsyncGenerator[AsyncSession, None]:
    """One session per request, in a transaction, closed afterwards, also when the handler
    raises; what it did not commit is rolled back."""
    async with _session(get_engine()) as session:
        yield session


# scope="function": the session closes once the response is built, before it is sent, so a
# pool as large as the concurrency is never short (no overflow connections opened and closed
# under load), and a failing close can still answer 503.
PgSessionDep = Annotated[AsyncSession, Depends(get_postgres_session, scope="function")]


async def get_postgres_read_session() -> AsyncGenerator[AsyncSession, None]:
    """A session for handlers that only read: autocommit, one round trip per statement."""
    async with _session(get_autocommit_engine()) as session:
        yield session


PgReadSessionDep = Annotated[AsyncSession, Depends(get_postgres_read_session, scope="function")]


@asynccontextmanager
async def _session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    session = async_session(bind=engine)
    try:
        try:
            yield session
        finally:
            await _close(session, rollback_due=session.in_transaction() and _transactional(engine))
    except Exception as exc:
        # Only the driver's and the pool's errors: anything else the handler raised stays a 500.
        if error := unavailable_error(exc, database=DATABASE):
            raise error from exc
        raise


def _transactional(engine: AsyncEngine) -> bool:
    # In autocommit nothing is left to roll back: SQLAlchemy's ROLLBACK there is a no-op.
    return engine.get_execution_options().get("isolation_level") != "AUTOCOMMIT"


async def _close(session: AsyncSession, *, rollback_due: bool) -> None:
    if rollback_due:
        async with session:  # finishes the ROLLBACK round trip even if the request is cancelled
            pass
    else:
        # Nothing left to send, so no await a cancellation could cut short: skip the task per
        # request that `async with` spends on shielding the close.
        await session.close()


async def get_postgres_engine() -> AsyncEngine:
    """The process's engine, for checks that need a connection rather than a session."""
    return get_engine()


PgEngineDep = Annotated[AsyncEngine, Depends(get_postgres_engine)]
