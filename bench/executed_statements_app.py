"""The app with the items repository's statements run through `connection.execute` (SQLAlchemy's
execution and result layer) instead of `fetch_one` / `fetch_all` (compiled once, run on the
driver's connection): what the compiled path saves. Served with `uvicorn --factory`."""

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app import main
from app.db.postgres.statements import Statement
from app.items import repository


async def fetch_one(
    session: AsyncSession, statement: Statement, parameters: Mapping[str, Any] | None = None
) -> Row[Any] | None:
    connection = await session.connection()
    return (await connection.execute(statement, parameters or {})).one_or_none()


async def fetch_all(
    session: AsyncSession, statement: Statement, parameters: Mapping[str, Any] | None = None
) -> Sequence[Row[Any]]:
    connection = await session.connection()
    return (await connection.execute(statement, parameters or {})).all()


def create_app() -> FastAPI:
    """The app, its item statements executed by SQLAlchemy."""
    repository.fetch_one = fetch_one  # type: ignore[attr-defined,assignment]
    repository.fetch_all = fetch_all  # type: ignore[attr-defined,assignment]
    return main.create_app()
