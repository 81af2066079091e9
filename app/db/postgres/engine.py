"""The process's one `AsyncEngine` and the `async_session` factory, built on first use.

Nothing connects at import: the engine is created by the first `get_engine()` call and
asyncpg opens connections only when a session first needs one.
"""

import logging
import ssl
from uuid import uuid4

from sqlalchemy import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings, get_settings
from app.db.postgres.tls import ssl_argument

async_session = async_sessionmaker(class_=AsyncSession, autoflush=False, expire_on_commit=False)

# What an unreachable, stopped or hanging server raises: connection refused, asyncpg's
# timeouts, and the driver's connection errors as SQLAlchemy wraps them.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    OperationalError,
    InterfaceError,
)

# SQLSTATEs of a server that is going away, coming back or out of slots: each clears by
# itself, so it is an outage (503, retried at startup), not a bug. Class 08 is "connection
# exception"; 57P01/57P02 an admin or crash shutdown, 57P03 "the database system is starting
# up" (also shutting down, or a standby not yet accepting connections); 53300 "too many
# clients". Not 57P04 (database dropped) nor the rest of class 53 (disk full, out of memory):
# those need a person.
UNAVAILABLE_SQLSTATE_CLASS = "08"
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})

# A certificate that fails verification will fail again: not worth a retry.
CERTIFICATE_ERRORS: tuple[type[Exception], ...] = (ssl.SSLCertVerificationError,)

# SQLSTATE class 28: the server refused the login (wrong user or password).
LOGIN_REFUSED_CLASS = "28"

_engine: AsyncEngine | None = None
_autocommit_engine: AsyncEngine | None = None


def _sqlstate(exc: BaseException) -> str:
    if not isinstance(exc, DBAPIError):
        return ""
    return getattr(exc.orig, "sqlstate", None) or ""


def is_login_refused(exc: BaseException) -> bool:
    """Whether the server rejected our credentials."""
    return _sqlstate(exc).startswith(LOGIN_REFUSED_CLASS)


def is_certificate_refused(exc: BaseException) -> bool:
    """Whether the server's TLS certificate failed verification."""
    return isinstance(exc, CERTIFICATE_ERRORS)


def is_connection_error(exc: BaseException) -> bool:
    """Whether the server is unreachable, hanging, going away, coming back or out of slots."""
    if is_certificate_refused(exc):
        return False  # an OSError too, but no retry will make it pass
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True  # SQLAlchemy saw the connection die and has dropped it from the pool
    sqlstate = _sqlstate(exc)
    return sqlstate.startswith(UNAVAILABLE_SQLSTATE_CLASS) or sqlstate in UNAVAILABLE_SQLSTATES


def describe_failure(exc: BaseException) -> str:
    """The driver's error class and SQLSTATE, for messages: never its text, which may hold a URL."""
    driver_error = exc.orig.__cause__ if isinstance(exc, DBAPIError) and exc.orig else None
    name = type(driver_error or exc).__name__
    sqlstate = _sqlstate(exc)
    return f"{name}, SQLSTATE {sqlstate}" if sqlstate else name


def is_unavailable(exc: BaseException) -> bool:
    """Whether the database cannot serve us: a connection error, a refused login or certificate."""
    return is_connection_error(exc) or is_login_refused(exc) or is_certificate_refused(exc)


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


def connect_arguments(settings: Settings, *, command_timeout: float) -> dict[str, object]:
    """asyncpg's connect arguments: timeouts, TLS from POSTGRES_URL, pooler safety."""
    arguments: dict[str, object] = {
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


def create_engine(settings: Settings, url: URL | None = None) -> AsyncEngine:
    """An engine configured from settings; `url` points it at another database."""
    hide_autocommit_bookkeeping()
    return create_async_engine(
        url or settings.postgres_database_url,
        echo=settings.postgres_echo,
        pool_size=settings.POSTGRES_POOL_SIZE,
        max_overflow=settings.POSTGRES_MAX_OVERFLOW,
        pool_recycle=settings.POSTGRES_POOL_RECYCLE,
        pool_pre_ping=settings.POSTGRES_POOL_PRE_PING,
        pool_timeout=settings.POSTGRES_POOL_TIMEOUT,
        # asyncpg's own timeouts bound an outage: connecting, then each statement.
        connect_args=connect_arguments(settings, command_timeout=settings.POSTGRES_COMMAND_TIMEOUT),
    )


def get_engine() -> AsyncEngine:
    """The process's engine; `async_session` is bound to it on first call."""
    global _engine
    if _engine is None:
        _engine = create_engine(get_settings())
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
