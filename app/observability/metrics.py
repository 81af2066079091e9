"""The Prometheus metrics the app keeps, and `/metrics`, right across worker processes.

With several uvicorn workers each process keeps its own counts, and a scrape reaches one of
them. Prometheus's multiprocess mode makes any worker answer for all: each writes its values
to files in `PROMETHEUS_MULTIPROC_DIR` (set, and emptied, by `python -m app.serve` before the
workers start), and `/metrics` adds up every worker's files.
"""

import os
from functools import cache

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.observability.metrics_directory import MULTIPROCESS_DIR_VARIABLE

# Every label value comes from a fixed set, so the series stay few: a raw path (an id per
# request) never becomes a label.
UNMATCHED_ROUTE = "unmatched"
OTHER_METHOD = "_OTHER"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
DATABASE_LABELS = {"PostgreSQL": "postgres", "MongoDB": "mongo"}


class Metrics:
    """Every metric the app writes; docs/observability.md lists them with their labels."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._request_children: dict[tuple[str, str, int], Histogram] = {}
        # Its `_count` series is the request count: one write per request instead of two.
        self.request_duration = Histogram(
            "syncdesk_http_request_duration_seconds",
            "HTTP requests by route template, method and status, and how long they took.",
            ["method", "route", "status"],
            registry=registry,
        )
        # "live" gauges: a stopped worker's values leave the sum (see `mark_process_dead`).
        self.requests_in_flight = self._gauge(
            "syncdesk_http_requests_in_flight", "HTTP requests being served."
        )
        self.database_unavailable = Counter(
            "syncdesk_database_unavailable_responses",
            "503 answers because a database was unavailable, by database.",
            ["database"],
            registry=registry,
        )
        self.postgres_pool_size = self._gauge(
            "syncdesk_postgres_pool_size", "Connections the PostgreSQL pools keep (pool size)."
        )
        self.postgres_pool_checked_out = self._gauge(
            "syncdesk_postgres_pool_checked_out", "PostgreSQL connections in use by requests."
        )
        self.postgres_pool_overflow = self._gauge(
            "syncdesk_postgres_pool_overflow", "PostgreSQL connections open beyond the pool size."
        )
        self.postgres_pool_waits = Counter(
            "syncdesk_postgres_pool_waits",
            "Checkouts that found every PostgreSQL connection in use and waited for one.",
            registry=registry,
        )
        self.postgres_pool_wait_seconds = Counter(
            "syncdesk_postgres_pool_wait_seconds",
            "Time spent in those waits.",
            registry=registry,
        )
        self.mongo_pool_connections = self._gauge(
            "syncdesk_mongo_pool_connections", "Connections open in the MongoDB pools."
        )
        self.mongo_pool_checked_out = self._gauge(
            "syncdesk_mongo_pool_checked_out", "MongoDB connections in use by operations."
        )
        self.mongo_pool_wait_seconds = Counter(
            "syncdesk_mongo_pool_wait_seconds",
            "Time MongoDB operations spent checking out a connection.",
            registry=registry,
        )
        self.mongo_pool_checkout_failures = Counter(
            "syncdesk_mongo_pool_checkout_failures",
            "MongoDB checkouts that failed (timeout, pool closed, connection error).",
            registry=registry,
        )

    def _gauge(self, name: str, documentation: str) -> Gauge:
        return Gauge(name, documentation, registry=self.registry, multiprocess_mode="livesum")

    def observe_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        key = (method if method in KNOWN_METHODS else OTHER_METHOD, route, status)
        # `labels()` validates and locks on every call; the children are few and kept here.
        if (child := self._request_children.get(key)) is None:
            child = self.request_duration.labels(key[0], route, str(status))
            self._request_children[key] = child
        child.observe(seconds)

    def count_unavailable(self, database: str) -> None:
        """Count a 503 for the database `DatabaseUnavailableError.database` names."""
        label = next(
            (label for prefix, label in DATABASE_LABELS.items() if database.startswith(prefix)),
            "other",
        )
        self.database_unavailable.labels(label).inc()


@cache
def get_metrics() -> Metrics:
    """The process's metrics, made on first use."""
    return Metrics(CollectorRegistry())


def is_multiprocess() -> bool:
    """Whether values go to `PROMETHEUS_MULTIPROC_DIR` files (chosen when prometheus_client
    is imported, so before the workers start)."""
    return bool(os.environ.get(MULTIPROCESS_DIR_VARIABLE))


def exposition() -> bytes:
    """Every metric in the Prometheus text format: all workers' in multiprocess mode."""
    if not is_multiprocess():
        return generate_latest(get_metrics().registry)
    registry = CollectorRegistry()
    # prometheus_client leaves its multiprocess module unannotated.
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def mark_worker_stopped() -> None:
    """Take this process's live gauges out of the sums; for a worker that is stopping."""
    if is_multiprocess():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """Prometheus's scrape target."""
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
