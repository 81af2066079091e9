"""Tracing turned on the documented way: FastAPI's auto-configuration exports over OTLP/HTTP."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.otlp_sink import OtlpSink, running_sink
from devstack.servers import wait_until
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.forked_processes import ForkedAppProcess
from tests.http_clients import http_client

# Starts an app process: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

KEEP_EXPORTS = 100


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    with running_sink(keep=KEEP_EXPORTS) as sink:
        yield sink


def exported_spans(sink: OtlpSink) -> list[Span]:
    spans: list[Span] = []
    for body in list(sink.bodies):
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                spans.extend(scope_spans.spans)
    return spans


def test_auto_configured_export_sends_the_request_and_statement_spans_of_one_trace(
    test_env: dict[str, str], pg_engine: AsyncEngine, sink: OtlpSink, tmp_path: Path
) -> None:
    env = {
        **test_env,
        "FASTAPI_OTEL_AUTO_CONFIGURE": "true",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": sink.traces_endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # ms between batches, not 5 s
    }
    app = ForkedAppProcess(env=env, log_path=tmp_path / "app.log")
    app.start()
    try:
        app.wait_ready()
        http_client.get(f"{app.url}/items/exported", headers={"X-Request-ID": "exported-1"})

        def server_span_exported() -> bool:
            return any(span.kind == Span.SPAN_KIND_SERVER for span in exported_spans(sink))

        wait_until(server_span_exported, timeout=CONDITION_GUARD_SECONDS, what="exported spans")
        wait_until(
            lambda: any(span.kind == Span.SPAN_KIND_CLIENT for span in exported_spans(sink)),
            timeout=CONDITION_GUARD_SECONDS,
            what="the statement's span",
        )
    finally:
        app.terminate()

    spans = exported_spans(sink)
    [request] = [span for span in spans if span.kind == Span.SPAN_KIND_SERVER]
    statements = [span for span in spans if span.kind == Span.SPAN_KIND_CLIENT]
    assert request.name == "GET /items/{item_id}"
    assert {a.key: a.value.string_value for a in request.attributes}["app.request_id"] == (
        "exported-1"
    )
    assert statements
    assert all(span.trace_id == request.trace_id for span in statements)
