"""The process's one `AsyncEngine` and the `async_session` factory, built on first use.

Nothing connects at import: the engine is created by the first `get_engine()` call and
asyncpg opens connections only when a session first needs one.
"""

import logging
from typing import Any
from uuid import uuid4

import asyncpg
from sqlalchemy import URL, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from app.core.config import Settings, get_settings
from app.db.postgres.failures import DriverConnectionError
from app.db.postgres.tls import ssl_argument
from app.observability.database_spans import trace_statements
from app.observability.pools import MeteredPool

async_session = async_sessionmaker(class_=AsyncSession, autoflush=False, expire_on_commit=False)

_engine: AsyncEngine | None = None
_autocommit_engine: AsyncEngine | None = None

# SQLAlchemy echoes the BEGIN and ROLLBACK it does not send in autocommit; for every read that
# looks as if something was rolled back. The echo keeps the statements a request runs.
AUTOCOMMIT_BOOKKEEPING = (
    "BEGIN (implicit; DBAPI should not BEGIN due to autocommit mode)",
    "ROLLBACK using DBAPI connection.rollback()",
)


class _WithoutAutocommitBookkeeping(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(AUTOCOMMIT_BOOKKEEPING)


_ECHO_FILTER = _WithoutAutocommitBookkeeping()


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid4()}__"


# A transaction-mode pooler hands each transaction any server connection, where a cached
# statement or a numbered name from another client may not exist or may clash.
TRANSACTION_POOLER_ARGUMENTS: dict[str, object] = {
    "statement_cache_size": 0,  # asyncpg's own cache
    "prepared_statement_cache_size": 0,  # SQLAlchemy's cache
    "prepared_statement_name_func": _unique_statement_name,
}


async def connect_marking_failures(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """`asyncpg.connect`, its socket, TLS and timeout errors marked as the driver's."""
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (OSError, TimeoutError) as exc:
        raise DriverConnectionError(type(exc).__name__) from exc


def _mark_failures_while_executing(context: ExceptionContext) -> Exception | None:
    # asyncpg raises a bare TimeoutError (command_timeout) or OSError from a statement, which
    # SQLAlchemy passes on unwrapped: mark it, so only the driver's errors become a 503.
    error = context.original_exception
    if isinstance(error, OSError | TimeoutError) and context.sqlalchemy_exception is None:
        return DriverConnectionError(type(error).__name__)
    return None


def connect_arguments(settings: Settings, *, command_timeout: float | None) -> dict[str, object]:
    """asyncpg's connect arguments: timeouts, TLS from POSTGRES_URL, pooler safety.

    Every connection the project opens is made with these (engines come from `create_engine`).
    """
    arguments: dict[str, object] = {
        "async_creator_fn": connect_marking_failures,
        "timeout": settings.POSTGRES_CONNECT_TIMEOUT,
        "command_timeout": command_timeout,
    }
    if (ssl_option := ssl_argument(settings.postgres_ssl_options)) is not None:
        arguments["ssl"] = ssl_option
    if settings.POSTGRES_TRANSACTION_POOLER:
        arguments.update(TRANSACTION_POOLER_ARGUMENTS)
    return arguments


def hide_autocommit_bookkeeping() -> None:
    """Keep SQLAlchemy's no-op autocommit BEGIN/ROLLBACK out of the SQL echo; idempotent."""
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(_ECHO_FILTER)


def create_engine(
    settings: Settings, url: URL | None = None, *, metered: bool = False
) -> AsyncEngine:
    """An engine configured from settings; `url` points it at another database; `metered`
    writes its pool's figures to the metrics (the app's own engine, one per process)."""
    options = {"poolclass": MeteredPool} if metered else {}
    return _configured(
        create_async_engine(
            url or settings.postgres_database_url,
            echo=settings.postgres_echo,
            **options,
            pool_size=settings.POSTGRES_POOL_SIZE,
            max_overflow=settings.POSTGRES_MAX_OVERFLOW,
            pool_recycle=settings.POSTGRES_POOL_RECYCLE,
            pool_pre_ping=settings.POSTGRES_POOL_PRE_PING,
            pool_timeout=settings.POSTGRES_POOL_TIMEOUT,
            # asyncpg's own timeouts bound an outage: connecting, then each statement.
            connect_args=connect_arguments(
                settings, command_timeout=settings.POSTGRES_COMMAND_TIMEOUT
            ),
        )
    )


def create_one_off_engine(
    settings: Settings,
    url: URL | None = None,
    *,
    command_timeout: float | None,
    isolation_level: str | None = None,
    echo: bool | None = None,
) -> AsyncEngine:
    """An engine for one job (schema changes, checks): no pool, so its connections close with
    it; `command_timeout` None lets statements wait, as for a lock or a long ALTER; `echo`
    None follows the settings."""
    options = {"isolation_level": isolation_level} if isolation_level else {}
    return _configured(
        create_async_engine(
            url or settings.postgres_database_url,
            poolclass=NullPool,
            echo=settings.postgres_echo if echo is None else echo,
            connect_args=connect_arguments(settings, command_timeout=command_timeout),
            **options,
        )
    )


def _configured(engine: AsyncEngine) -> AsyncEngine:
    hide_autocommit_bookkeeping()
    event.listen(engine.sync_engine, "handle_error", _mark_failures_while_executing)
    trace_statements(engine)
    return engine


def get_engine() -> AsyncEngine:
    """The process's engine; `async_session` is bound to it on first call."""
    global _engine
    if _engine is None:
        settings = get_settings()
        _engine = create_engine(settings, metered=settings.METRICS)
        async_session.configure(bind=_engine)
    return _engine


def get_autocommit_engine() -> AsyncEngine:
    """The same engine and pool, with statements outside any transaction (no BEGIN/ROLLBACK);
    the engine itself behind a transaction pooler."""
    global _autocommit_engine
    if _autocommit_engine is None:
        engine = get_engine()
        # Outside a transaction such a pooler may prepare a statement on one server connection
        # and run it on another; a transaction keeps both on one.
        pooled = get_settings().POSTGRES_TRANSACTION_POOLER
        _autocommit_engine = (
            engine if pooled else engine.execution_options(isolation_level="AUTOCOMMIT")
        )
    return _autocommit_engine


async def dispose_engine() -> None:
    """Close every pooled connection and forget the engine; safe to call twice."""
    global _engine, _autocommit_engine
    engine, _engine, _autocommit_engine = _engine, None, None
    if engine is not None:
        await engine.dispose()
