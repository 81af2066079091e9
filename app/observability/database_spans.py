"""A client span for each PostgreSQL statement and each MongoDB command, under the request's.

Written here rather than taken from OpenTelemetry's contrib packages: the SQLAlchemy one
(0.66b1) declares `sqlalchemy<2.1` and, on 2.1, logs an error and records nothing; these hooks
use only SQLAlchemy's cursor events and PyMongo's command listener, the same on both Mongo
drivers. A span is made only inside a recording span (a traced request), so with tracing off
each statement costs one context lookup, and startup queries make no orphan traces.
"""

from functools import cache
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pymongo import monitoring
from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext, ExecutionContext
from sqlalchemy.ext.asyncio import AsyncEngine

SPAN_KEY = "app.observability.span"


@cache
def tracer() -> trace.Tracer:
    """The app's tracer, from the global provider (a no-op until one is configured)."""
    return trace.get_tracer("app.db")


def _in_traced_request() -> bool:
    return trace.get_current_span().is_recording()


def trace_statements(engine: AsyncEngine) -> None:
    """Record a span for each statement `engine` runs inside a traced request."""
    sync_engine = engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", _start_statement)
    event.listen(sync_engine, "after_cursor_execute", _end_statement)
    event.listen(sync_engine, "handle_error", _fail_statement)


def _start_statement(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    start_statement_span(conn, statement)


def start_statement_span(conn: Connection, statement: str) -> None:
    """Open the span of `statement` on `conn`, for code that runs it below SQLAlchemy's cursor
    (`app.db.postgres.statements`); `end_statement_span` or the engine's error hook ends it."""
    if not _in_traced_request():
        return
    url = conn.engine.url
    operation = statement.split(None, 1)[0].upper() if statement.strip() else "SQL"
    # The statement's text has placeholders, not values: no user data in the span.
    conn.info[SPAN_KEY] = tracer().start_span(
        f"{operation} {url.database}",
        kind=SpanKind.CLIENT,
        attributes={
            "db.system.name": "postgresql",
            "db.namespace": url.database or "",
            "db.operation.name": operation,
            "db.query.text": statement,
            "server.address": url.host or "",
            "server.port": url.port or 5432,
        },
    )


def _end_statement(conn: Connection, *args: Any) -> None:
    end_statement_span(conn)


def end_statement_span(conn: Connection) -> None:
    """End the span `start_statement_span` opened, if one is open."""
    span: Span | None = conn.info.pop(SPAN_KEY, None)
    if span is not None:
        span.end()


def _fail_statement(context: ExceptionContext) -> None:
    if context.connection is None:
        return
    span: Span | None = context.connection.info.pop(SPAN_KEY, None)
    if span is not None:
        error = context.original_exception
        span.set_attribute("error.type", type(error).__qualname__)
        span.set_status(Status(StatusCode.ERROR))
        span.end()


class CommandSpans(monitoring.CommandListener):
    """A span for each MongoDB command sent inside a traced request; either driver.

    PyMongo's async API calls it in the request's task; Motor in its thread pool, where it
    runs each operation in a copy of the caller's context, so the parent is found either way.
    """

    def __init__(self) -> None:
        self._spans: dict[tuple[int, object], Span] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not _in_traced_request():
            return
        collection = event.command.get(event.command_name)
        target = f"{event.database_name}.{collection}" if isinstance(collection, str) else None
        attributes: dict[str, str | int] = {
            "db.system.name": "mongodb",
            "db.namespace": event.database_name,
            "db.operation.name": event.command_name,
        }
        if isinstance(collection, str):
            attributes["db.collection.name"] = collection
        host, port = event.connection_id
        attributes["server.address"], attributes["server.port"] = str(host), int(port or 27017)
        # The command itself is not recorded: its filters and documents are user data.
        self._spans[event.request_id, event.connection_id] = tracer().start_span(
            f"{event.command_name} {target or event.database_name}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if (span := self._spans.pop((event.request_id, event.connection_id), None)) is not None:
            span.end()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if (span := self._spans.pop((event.request_id, event.connection_id), None)) is not None:
            code_name = event.failure.get("codeName") if isinstance(event.failure, dict) else None
            span.set_attribute("error.type", str(code_name or "CommandFailed"))
            span.set_status(Status(StatusCode.ERROR))
            span.end()
