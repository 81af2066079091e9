"""Spans: FastAPI's request span, and under it one per PostgreSQL statement and MongoDB command."""

from collections.abc import Sequence

from httpx import AsyncClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.mongo.db import MongoDatabase

CALLER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN_ID = "b7ad6b7169203331"


def request_span(spans: Sequence[ReadableSpan]) -> ReadableSpan:
    [span] = [span for span in spans if span.kind is SpanKind.SERVER]
    return span


def database_spans(spans: Sequence[ReadableSpan], system: str) -> list[ReadableSpan]:
    return [
        span
        for span in spans
        if span.kind is SpanKind.CLIENT and (span.attributes or {}).get("db.system.name") == system
    ]


def descends_from(
    span: ReadableSpan, ancestor: ReadableSpan, spans: Sequence[ReadableSpan]
) -> bool:
    """Whether following `span`'s parents through `spans` reaches `ancestor`."""
    by_id = {other.context.span_id: other for other in spans if other.context is not None}
    parent = span.parent
    while parent is not None:
        if ancestor.context is not None and parent.span_id == ancestor.context.span_id:
            return True
        parent = by_id[parent.span_id].parent if parent.span_id in by_id else None
    return False


async def test_each_postgres_statement_is_a_span_under_the_request_span(
    client: AsyncClient, spans: InMemorySpanExporter
) -> None:
    await client.post("/items", json={"id": "traced", "name": "T"})

    finished = spans.get_finished_spans()
    request = request_span(finished)
    [insert] = [
        span
        for span in database_spans(finished, "postgresql")
        if (span.attributes or {}).get("db.operation.name") == "INSERT"
    ]
    assert request.name == "POST /items"
    assert descends_from(insert, request, finished)
    assert str((insert.attributes or {})["db.query.text"]).startswith("INSERT INTO items")


async def test_each_mongo_command_is_a_span_under_the_request_span(
    client: AsyncClient, spans: InMemorySpanExporter, mongo_database: MongoDatabase
) -> None:
    await client.post("/events", json={"type": "traced"})

    finished = spans.get_finished_spans()
    request = request_span(finished)
    # A new connection's authentication (saslStart, saslContinue) may show up too.
    [insert] = [
        span
        for span in database_spans(finished, "mongodb")
        if (span.attributes or {}).get("db.operation.name") == "insert"
    ]
    assert insert.name == f"insert {mongo_database.name}.events"
    assert descends_from(insert, request, finished)


async def test_the_request_id_is_an_attribute_of_the_request_span(
    client: AsyncClient, spans: InMemorySpanExporter
) -> None:
    await client.get("/items/traced-id", headers={"X-Request-ID": "span-attribute-1"})

    request = request_span(spans.get_finished_spans())
    assert (request.attributes or {})["app.request_id"] == "span-attribute-1"


async def test_a_callers_traceparent_continues_its_trace(
    client: AsyncClient, spans: InMemorySpanExporter
) -> None:
    traceparent = f"00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01"
    await client.get("/items/continued", headers={"traceparent": traceparent})

    request = request_span(spans.get_finished_spans())
    assert request.context is not None
    assert request.parent is not None
    assert format(request.context.trace_id, "032x") == CALLER_TRACE_ID
    assert format(request.parent.span_id, "016x") == CALLER_SPAN_ID


async def test_statements_outside_a_request_make_no_spans(
    pg_engine: AsyncEngine, spans: InMemorySpanExporter
) -> None:
    async with pg_engine.connect() as connection:
        await connection.execute(text("SELECT 1"))

    assert spans.get_finished_spans() == ()


async def test_probes_and_scrapes_make_no_spans(
    client: AsyncClient, spans: InMemorySpanExporter
) -> None:
    await client.get("/health")
    await client.get("/metrics")

    assert spans.get_finished_spans() == ()
