"""An app process writing JSON logs, and an in-memory span exporter for tracing tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.app_process import AppProcess
from tests.forked_processes import ForkedAppProcess

FAILING_APP = "tests.observability.failing_app:create_app"


@pytest.fixture(scope="session")
def json_log_app(
    test_env: dict[str, str], pg_engine: AsyncEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppProcess]:
    """The app (plus a route that raises) under uvicorn on this run's tables, logging JSON
    lines with SQL echo on."""
    env = {**test_env, "LOG_FORMAT": "json", "POSTGRES_ECHO": "true"}
    log_path: Path = tmp_path_factory.mktemp("json-logs") / "app.log"
    app = ForkedAppProcess(env=env, log_path=log_path, target=FAILING_APP)
    app.start()
    app.wait_ready()
    yield app
    app.terminate()


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Spans of this process, kept in memory: the global tracer provider, set once.

    FastAPI records request spans from then on in this test process; no test relies on their
    absence.
    """
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture
def spans(span_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    """The exporter, emptied before and after the test."""
    span_exporter.clear()
    yield span_exporter
    span_exporter.clear()
