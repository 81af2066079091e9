"""`fetch_one` / `fetch_all`: Core statements compiled once and run on the session's own asyncpg
connection, inside the session's transaction, failing as SQLAlchemy's own execution fails."""

import asyncio
import enum
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio
import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Enum,
    MetaData,
    Numeric,
    Select,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import get_settings
from app.db import CompiledStatementError, fetch_all, fetch_one
from app.db.exceptions import DatabaseUnavailableError
from app.db.postgres.dependencies import get_postgres_read_session, get_postgres_session
from app.db.postgres.engine import create_engine, get_engine
from app.db.postgres.statements import compile_statement
from app.items.models import Item
from app.items.repository import COLUMNS, INSERT_NEW, SELECT_FIRST_PAGE, SELECT_ONE
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.databases import patient_engine

pytestmark = pytest.mark.usefixtures("process_engine", "empty_tables")

transaction_session = asynccontextmanager(get_postgres_session)
read_session = asynccontextmanager(get_postgres_read_session)

TRANSACTION_ID = select(func.pg_current_xact_id().cast(Text))
BACKEND_PID = select(func.pg_backend_pid())
PLAIN_INSERT = insert(Item).returning(Item.id)  # no ON CONFLICT: a taken id is an error


def item(item_id: str) -> dict[str, Any]:
    return {"id": item_id, "name": f"name of {item_id}", "description": None}


async def insert_committed(*item_ids: str) -> None:
    async with transaction_session() as session:
        for item_id in item_ids:
            await fetch_one(session, INSERT_NEW, item(item_id))
        await session.commit()


async def test_fetch_one_returns_the_row_by_name_and_by_position() -> None:
    await insert_committed("a")

    async with read_session() as session:
        row = await fetch_one(session, SELECT_ONE, {"item_id": "a"})

    assert row is not None
    assert (row["id"], row["name"], row["description"]) == ("a", "name of a", None)
    assert tuple(row)[:3] == ("a", "name of a", None)
    assert row["created_at"].tzinfo is not None


async def test_fetch_one_returns_none_when_no_row_matches() -> None:
    async with read_session() as session:
        assert await fetch_one(session, SELECT_ONE, {"item_id": "missing"}) is None


async def test_fetch_all_returns_every_row_in_the_statements_order() -> None:
    await insert_committed("c", "a", "b")

    async with read_session() as session:
        rows = await fetch_all(session, SELECT_FIRST_PAGE, {"limit": 2})

    assert [row["id"] for row in rows] == ["a", "b"]


async def test_a_statement_is_compiled_once_for_each_set_of_parameter_names() -> None:
    statement = select(*COLUMNS).where(Item.id == bindparam("item_id"))  # new: not cached yet
    misses = compile_statement.cache_info().misses

    async with read_session() as session:
        for item_id in ("x", "y", "z"):
            await fetch_one(session, statement, {"item_id": item_id})

    assert compile_statement.cache_info().misses == misses + 1


async def test_a_write_is_kept_only_when_the_session_commits() -> None:
    async with transaction_session() as session:
        await fetch_one(session, INSERT_NEW, item("rolled-back"))
    async with transaction_session() as session:
        await fetch_one(session, INSERT_NEW, item("committed"))
        await session.commit()

    async with read_session() as session:
        rows = await fetch_all(session, SELECT_FIRST_PAGE, {"limit": 10})
    assert [row["id"] for row in rows] == ["committed"]


async def first_value(session: AsyncSession, statement: Select[Any]) -> Any:
    row = await fetch_one(session, statement)
    assert row is not None
    return row[0]


async def test_the_transaction_session_runs_them_in_its_one_transaction() -> None:
    async with transaction_session() as session:
        first = await first_value(session, TRANSACTION_ID)
        second = await first_value(session, TRANSACTION_ID)
        through_sqlalchemy = await session.scalar(TRANSACTION_ID)

    assert first == second == through_sqlalchemy


async def test_the_read_session_runs_each_on_its_own() -> None:
    async with read_session() as session:
        first = await first_value(session, TRANSACTION_ID)
        second = await first_value(session, TRANSACTION_ID)

    assert first != second


async def test_a_database_error_is_sqlalchemys_with_its_sqlstate() -> None:
    await insert_committed("taken")

    with pytest.raises(IntegrityError) as raised:
        async with transaction_session() as session:
            await fetch_one(session, PLAIN_INSERT, item("taken"))

    assert raised.value.orig is not None
    assert getattr(raised.value.orig, "sqlstate", None) == "23505"
    assert "INSERT INTO items" in str(raised.value)


async def test_a_killed_connection_is_an_outage_and_never_handed_out_again(
    pg_engine: AsyncEngine,
) -> None:
    async with read_session() as session:
        killed = await first_value(session, BACKEND_PID)
    async with pg_engine.connect() as admin:
        await admin.execute(select(func.pg_terminate_backend(killed)))

    with pytest.raises(DatabaseUnavailableError):
        async with read_session() as session:
            await fetch_one(session, BACKEND_PID)

    async with read_session() as session:
        assert await first_value(session, BACKEND_PID) != killed


async def test_a_statement_past_the_command_timeout_is_an_outage() -> None:
    sleep = select(func.pg_sleep(get_settings().POSTGRES_COMMAND_TIMEOUT + 1))

    with pytest.raises(DatabaseUnavailableError):
        async with read_session() as session:
            await fetch_one(session, sleep)

    async with read_session() as session:
        assert await fetch_one(session, BACKEND_PID) is not None  # the pool still serves


SLEEPING = (
    select(func.count())
    .where(text("state = 'active' AND query LIKE 'SELECT pg_sleep%'"))
    .select_from(text("pg_stat_activity"))
)


async def sleeping(engine: AsyncEngine) -> int:
    # A transaction of its own each time: PostgreSQL's statistics views keep one snapshot a
    # transaction.
    async with engine.connect() as connection:
        return int(await connection.scalar(SLEEPING) or 0)


async def test_a_cancelled_statement_leaves_every_connection_back_and_usable(
    pg_engine: AsyncEngine,
) -> None:
    engine = patient_engine(get_settings())  # no command timeout ends the statement first

    async def slow_read() -> None:
        async with AsyncSession(engine) as session:
            await fetch_one(session, select(func.pg_sleep(CONDITION_GUARD_SECONDS)))

    task = asyncio.create_task(slow_read())
    with anyio.fail_after(CONDITION_GUARD_SECONDS):
        while not await sleeping(pg_engine):  # until the statement runs on the server
            assert not task.done(), task
            await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    try:
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        async with AsyncSession(engine) as session:
            assert await fetch_one(session, BACKEND_PID) is not None
    finally:
        await engine.dispose()


async def test_the_echo_shows_each_statement_and_its_parameters(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = create_engine(get_settings().model_copy(update={"POSTGRES_ECHO": True}))
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine.Engine"):
            async with AsyncSession(engine) as session:
                await fetch_one(session, SELECT_ONE, {"item_id": "echoed"})
    finally:
        await engine.dispose()

    messages = [record.getMessage() for record in caplog.records]
    assert any("WHERE items.id = $1::VARCHAR" in message for message in messages), messages
    assert "[compiled once] {'item_id': 'echoed'}" in messages


class Colour(enum.Enum):
    RED = "red"


PAINTED = Table(
    "painted",
    MetaData(),
    Column("id", String),
    Column("colour", Enum(Colour)),
    Column("price", Numeric(10, 2)),
    Column("painted_at", DateTime, default=datetime.now),
)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: select(PAINTED.c.colour), "column 'colour' needs SQLAlchemy's conversion"),
        (
            lambda: select(PAINTED.c.id).where(PAINTED.c.colour == Colour.RED),
            "parameter 'colour_1' needs SQLAlchemy's conversion",
        ),
        (
            lambda: delete(Item).where(Item.id.in_(bindparam("ids", expanding=True))),
            "parameter 'ids' is expanded per call",
        ),
        (lambda: select(PAINTED.c.price), "column 'price' needs SQLAlchemy's conversion"),
        (
            lambda: insert(PAINTED).values(id=bindparam("id")),
            "column 'painted_at' has a Python-side default",
        ),
        (
            lambda: select(Item.id).where(Item.id == bindparam("now", callable_=lambda: "x")),
            "parameter 'now' is computed per call",
        ),
    ],
    ids=[
        "enum column",
        "enum parameter",
        "IN list",
        "numeric column",
        "python-side default",
        "callable parameter",
    ],
)
def test_statements_sqlalchemy_must_convert_are_refused_naming_why(
    build: Callable[[], Any], reason: str
) -> None:
    with pytest.raises(CompiledStatementError, match=reason):
        compile_statement(build(), get_engine().dialect, frozenset())


async def test_a_missing_parameter_is_named() -> None:
    with pytest.raises(CompiledStatementError, match="no value for parameter 'item_id'"):
        async with read_session() as session:
            await fetch_one(session, SELECT_ONE)
