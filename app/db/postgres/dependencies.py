"""FastAPI dependency giving each request its own `AsyncSession`."""

from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.exceptions import DatabaseUnavailableError
from app.db.postgres.engine import CONNECTION_ERRORS, async_session, get_engine


async def get_postgres_session() -> AsyncGenerator[AsyncSession, None]:
    """One session per request, closed afterwards, also when the handler raises."""
    get_engine()
    try:
        async with async_session() as session:
            yield session
    except CONNECTION_ERRORS as exc:
        raise DatabaseUnavailableError("PostgreSQL") from exc


PgSessionDep = Annotated[AsyncSession, Depends(get_postgres_session)]
