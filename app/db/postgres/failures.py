"""What a PostgreSQL failure means: an outage that clears by itself, a refusal a person must fix,
or not the database's at all; and the one message for each cause.

Only errors raised below the app count: SQLAlchemy's DBAPI errors and pool timeout, and the
socket, TLS and timeout errors asyncpg raises while connecting or running a statement, which the
engine marks as `DriverConnectionError` (see `engine.py`). An `OSError` or `TimeoutError` that a
handler raises itself (a file, another HTTP service) is none of these: it stays a 500.
"""

import ssl

from asyncpg.exceptions import ClientConfigurationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.db.exceptions import DatabaseUnavailableError


class DriverConnectionError(Exception):
    """asyncpg could not open, or lost, a connection: socket, TLS or timeout (chained as cause)."""


# SQLSTATEs of a server that is going away, coming back or out of slots: each clears by
# itself, so it is an outage (503, retried at startup), not a bug. Class 08 is "connection
# exception"; 57P01/57P02 an admin or crash shutdown, 57P03 "the database system is starting
# up" (also shutting down, or a standby not yet accepting connections); 53300 "too many
# clients". Not 57P04 (database dropped) nor the rest of class 53 (disk full, out of memory):
# those need a person.
UNAVAILABLE_SQLSTATE_CLASS = "08"
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# SQLSTATE class 28: the server refused the login (wrong user or password).
LOGIN_REFUSED_CLASS = "28"
# SQLSTATE 3D000: the database the settings name does not exist.
MISSING_DATABASE = "3D000"
# asyncpg's words when the server answers "no" to the TLS request (a ConnectionError).
TLS_DECLINED = "rejected SSL upgrade"


def _sqlstate(exc: BaseException) -> str:
    if not isinstance(exc, DBAPIError):
        return ""
    return getattr(exc.orig, "sqlstate", None) or ""


def _driver_cause(exc: BaseException) -> BaseException | None:
    """The socket, TLS or timeout error under a `DriverConnectionError`."""
    return exc.__cause__ if isinstance(exc, DriverConnectionError) else None


def is_certificate_refused(exc: BaseException) -> bool:
    """Whether the server's TLS certificate failed verification."""
    return isinstance(_driver_cause(exc), ssl.SSLCertVerificationError)


def is_tls_declined(exc: BaseException) -> bool:
    """Whether the server refused the TLS that `sslmode` asks for."""
    cause = _driver_cause(exc)
    return isinstance(cause, ConnectionError) and str(cause).endswith(TLS_DECLINED)


def _configuration_error(exc: BaseException) -> ClientConfigurationError | None:
    """asyncpg's refusal of its own settings (a `sslrootcert` that cannot be read, say)."""
    cause = exc.orig.__cause__ if isinstance(exc, DBAPIError) and exc.orig else None
    return cause if isinstance(cause, ClientConfigurationError) else None


def is_login_refused(exc: BaseException) -> bool:
    """Whether the server rejected our credentials."""
    return _sqlstate(exc).startswith(LOGIN_REFUSED_CLASS)


def is_missing_database(exc: BaseException) -> bool:
    """Whether the database the settings name has not been created."""
    return _sqlstate(exc) == MISSING_DATABASE


def is_connection_error(exc: BaseException) -> bool:
    """Whether the server is unreachable, hanging, going away, coming back or out of slots:
    an outage that may clear by itself, so worth a retry."""
    if isinstance(exc, DriverConnectionError):
        return not (is_certificate_refused(exc) or is_tls_declined(exc))  # no retry fixes those
    if _configuration_error(exc):
        return False  # our settings, not the server: a person must fix them
    if isinstance(exc, OperationalError | InterfaceError):
        return True  # asyncpg's connection errors as SQLAlchemy wraps them
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True  # SQLAlchemy saw the connection die and has dropped it from the pool
    sqlstate = _sqlstate(exc)
    return sqlstate.startswith(UNAVAILABLE_SQLSTATE_CLASS) or sqlstate in UNAVAILABLE_SQLSTATES


def is_unavailable(exc: BaseException) -> bool:
    """Whether the database cannot serve us: an outage, a refused login, certificate or TLS,
    or no free pooled connection in time."""
    return (
        is_connection_error(exc)
        or is_login_refused(exc)
        or is_certificate_refused(exc)
        or is_tls_declined(exc)
        or _configuration_error(exc) is not None
        or isinstance(exc, PoolTimeoutError)
    )


def describe_failure(exc: BaseException) -> str:
    """The driver's error class and SQLSTATE, for messages: never its text, which may hold a URL."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        name = type(exc.orig.__cause__ or exc).__name__
    else:
        name = type(_driver_cause(exc) or exc).__name__
    sqlstate = _sqlstate(exc)
    return f"{name}, SQLSTATE {sqlstate}" if sqlstate else name


def failure_reason(exc: BaseException, *, attempts: int = 1) -> str:
    """One line per cause, the same from the app, its startup and the migrations."""
    if isinstance(cause := _driver_cause(exc), ssl.SSLCertVerificationError):
        return (
            f"TLS certificate verification failed ({cause.verify_message}); "
            "check sslmode and sslrootcert"
        )
    if is_tls_declined(exc):
        return "the server does not accept TLS, which sslmode asks for; check sslmode"
    if configuration := _configuration_error(exc):
        # asyncpg's words name the setting and the file it looked for, never a password.
        return f"TLS cannot be set up ({configuration}); check sslmode and sslrootcert"
    if is_login_refused(exc):
        return "login refused; check POSTGRES_USER and POSTGRES_PASSWORD"
    if is_missing_database(exc):
        return "the database does not exist; create it, then run the migrations"
    if isinstance(exc, PoolTimeoutError):
        return "no pooled connection came free in time"
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return f"no connection{tries} ({describe_failure(exc)})"


def unavailable_error(
    exc: BaseException, *, database: str, attempts: int = 1
) -> DatabaseUnavailableError | None:
    """The `DatabaseUnavailableError` for a driver or pool failure; None for any other error.

    `database` names what failed ("PostgreSQL at host:port/db"): never a credential.
    """
    if not (is_unavailable(exc) or is_missing_database(exc)):
        return None
    return DatabaseUnavailableError(database, failure_reason(exc, attempts=attempts))
