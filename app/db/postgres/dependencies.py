"""FastAPI dependency giving each request its own `AsyncSession`."""

from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.exceptions import DatabaseUnavailableError
from app.db.postgres.engine import async_session, get_engine, is_unavailable


async def get_postgres_session() -> AsyncGenerator[AsyncSession, None]:
    """One session per request, closed afterwards, also when the handler raises."""
    get_engine()
    try:
        async with async_session() as session:
            yield session
    except Exception as exc:
        if is_unavailable(exc):
            raise DatabaseUnavailableError("PostgreSQL") from exc
        raise


PgSessionDep = Annotated[AsyncSession, Depends(get_postgres_session)]
