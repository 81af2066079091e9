"""Core statements compiled once and run on the session's own asyncpg connection.

`fetch_one` and `fetch_all` take the request's `AsyncSession` and a statement built once (a
module constant): the SQL text and parameter order are compiled on first use and cached, and
each call hands them straight to asyncpg, skipping SQLAlchemy's per-call execution context and
result objects (the items routes serve 13-22 % more requests a second). Everything else stays
the session's: its connection from the pool, its transaction (begun here as SQLAlchemy would),
asyncpg's timeouts, the outage handling (errors come out as SQLAlchemy's), the SQL echo and the
statement spans.

Only statements whose values need no SQLAlchemy conversion qualify (strings, integers, times and
the like); `CompiledStatementError` names the column otherwise. For ORM objects, relationships
or statements built per call, use `session.execute`.

The transaction start and error handling are SQLAlchemy's asyncpg adapter's own, private API
pinned by `uv.lock`; tests/db/test_statements.py fails if an upgrade changes them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select
from sqlalchemy.types import TypeEngine

from app.observability.database_spans import end_statement_span, start_statement_span

Statement = Select[*tuple[Any, ...]] | UpdateBase
# asyncpg's `Record`: read by name (`row["id"]`), by position, or unpacked.
Row = asyncpg.Record


class CompiledStatementError(TypeError):
    """A statement the compiled path cannot run as is: run it with `session.execute`."""


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """SQL text for asyncpg, and where each positional argument comes from."""

    sql: str
    names: tuple[str, ...]  # of the parameters, in `$1, $2, ...` order
    fixed: Mapping[str, Any]  # values bound in the statement itself

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        try:
            return [
                parameters[name] if name in parameters else self.fixed[name] for name in self.names
            ]
        except KeyError as missing:
            raise CompiledStatementError(f"no value for parameter {missing}") from None


async def fetch_one(
    session: AsyncSession, statement: Statement, parameters: Mapping[str, Any] | None = None
) -> Row | None:
    """The first row `statement` returns (a SELECT, or a write with RETURNING), or None."""
    rows = await _run(session, statement, parameters or {}, one=True)
    return rows[0] if rows else None


async def fetch_all(
    session: AsyncSession, statement: Statement, parameters: Mapping[str, Any] | None = None
) -> list[Row]:
    """Every row `statement` returns."""
    return await _run(session, statement, parameters or {}, one=False)


async def _run(
    session: AsyncSession, statement: Statement, parameters: Mapping[str, Any], *, one: bool
) -> list[Row]:
    async_connection = await session.connection()
    connection = async_connection.sync_connection
    if connection is None:  # not after `session.connection()`: for the type checker
        raise CompiledStatementError("the session has no open connection")
    compiled = compile_statement(statement, connection.dialect, frozenset(parameters))
    arguments = compiled.arguments(parameters)
    engine = connection.engine
    if engine.echo:
        engine.logger.info("%s", compiled.sql)
        engine.logger.info("[compiled once] %r", dict(zip(compiled.names, arguments, strict=True)))
    adapted = _asyncpg_adapter(connection)
    start_statement_span(connection, compiled.sql)
    try:
        async with adapted._execute_mutex:
            # SQLAlchemy begins the transaction with the first statement: so do we.
            if adapted._transaction is None:
                await adapted._start_transaction()  # type: ignore[no-untyped-call]
            driver = adapted.driver_connection
            if one:
                row = await driver.fetchrow(compiled.sql, *arguments)
                rows = [row] if row is not None else []
            else:
                rows = await driver.fetch(compiled.sql, *arguments)
    except BaseException as error:  # cancellation too: SQLAlchemy drops the connection then
        await async_connection.run_sync(_raise_as_sqlalchemy_would, error, compiled.sql, arguments)
        raise  # not reached: the handler always raises
    end_statement_span(connection)
    return rows


def _asyncpg_adapter(connection: Connection) -> AsyncAdapt_asyncpg_connection:
    """SQLAlchemy's adapter around the session's asyncpg connection."""
    adapter = connection.connection.dbapi_connection
    if not isinstance(adapter, AsyncAdapt_asyncpg_connection):
        raise CompiledStatementError("compiled statements run on asyncpg only")
    return adapter


def _raise_as_sqlalchemy_would(
    connection: Connection, error: BaseException, sql: str, arguments: Sequence[Any]
) -> NoReturn:
    """SQLAlchemy's own handling of an error from the driver: the same exception classes, the
    engine's error hooks (outage marking, the span's end), and a dead connection invalidated."""
    adapted = _asyncpg_adapter(connection)
    try:
        if isinstance(error, Exception):
            # asyncpg's errors raised as the DBAPI's, as SQLAlchemy's cursor does; others as is.
            adapted._handle_exception(error)
        raise error  # a cancellation
    except BaseException as raised:
        # Given no statement, SQLAlchemy leaves a non-DBAPI error unwrapped, as on its own path,
        # so the engine's hook marks it as the driver's.
        statement = sql if isinstance(raised, connection.dialect.loaded_dbapi.Error) else None
        connection._handle_dbapi_exception(raised, statement, tuple(arguments), None, None)
    raise AssertionError("unreachable")  # pragma: no cover


@lru_cache(maxsize=512)
def compile_statement(
    statement: Statement, dialect: Dialect, keys: frozenset[str]
) -> CompiledStatement:
    """`statement` compiled for `dialect`, for parameters named `keys` (an INSERT's or
    UPDATE's columns follow them); cached, so a statement built once is compiled once."""
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    if compiled.positiontup is None:
        raise CompiledStatementError(f"{dialect.name} does not bind by position")
    binds = {name: bind for bind, name in compiled.bind_names.items()}  # by name as rendered
    for name, bind in binds.items():
        if bind in compiled.post_compile_params or bind in compiled.literal_execute_params:
            raise CompiledStatementError(f"parameter {name!r} is expanded per call (an IN list)")
        if bind.callable is not None:
            raise CompiledStatementError(f"parameter {name!r} is computed per call")
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
            raise CompiledStatementError(f"parameter {name!r} needs SQLAlchemy's conversion")
    if defaulted := [*compiled.insert_prefetch, *compiled.update_prefetch]:
        raise CompiledStatementError(f"column {defaulted[0].key!r} has a Python-side default")
    for column in statement.exported_columns:
        if _needs_result_conversion(column.type, dialect):
            raise CompiledStatementError(f"column {column.key!r} needs SQLAlchemy's conversion")
    fixed = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
    return CompiledStatement(sql=compiled.string, names=tuple(compiled.positiontup), fixed=fixed)


def _needs_result_conversion(column_type: TypeEngine[Any], dialect: Dialect) -> bool:
    try:
        return column_type.dialect_impl(dialect).result_processor(dialect, None) is not None
    except TypeError:
        # Numeric and Float choose their conversion by the server's type of each result column,
        # unknown until a row comes back (asyncpg's Decimal or float may not be what they promise).
        return True
