"""Connection pool metrics: PostgreSQL's from the pool itself, MongoDB's from PyMongo's events."""

from time import perf_counter
from typing import Any

from pymongo import monitoring
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from app.observability.metrics import get_metrics, is_multiprocess


class MeteredPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio pool, feeding its size, use and waits to the metrics.

    SQLAlchemy's pool events fire after a checkout, with no sign of whether it waited; the
    pool's own get and return (`_do_get`, `_do_return_conn`, the hooks its subclasses
    override) know, and see the counts as they change.
    """

    def __init__(
        self, creator: Any, pool_size: int = 5, max_overflow: int = 10, **kwargs: Any
    ) -> None:
        super().__init__(creator, pool_size=pool_size, max_overflow=max_overflow, **kwargs)
        # max_overflow -1 means no limit: a checkout then never waits.
        self._capacity = pool_size + max_overflow if max_overflow >= 0 else None
        metrics = get_metrics()
        metrics.postgres_pool_size.set(pool_size)
        # Each worker of several writes its figures to its file as they change; a single
        # process lets the gauges read the pool when scraped, and a checkout writes nothing.
        self._publishes = is_multiprocess()
        if not self._publishes:
            metrics.postgres_pool_checked_out.set_function(self.checkedout)
            metrics.postgres_pool_overflow.set_function(self._connections_beyond_size)

    def _do_get(self) -> ConnectionPoolEntry:
        if self._capacity is None or self.checkedin() or self.checkedout() < self._capacity:
            entry = super()._do_get()
        else:
            started = perf_counter()
            try:
                entry = super()._do_get()
            finally:
                metrics = get_metrics()
                metrics.postgres_pool_waits.inc()
                metrics.postgres_pool_wait_seconds.inc(perf_counter() - started)
        if self._publishes:
            self._publish()
        return entry

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        super()._do_return_conn(record)
        if self._publishes:
            self._publish()

    def _connections_beyond_size(self) -> int:
        return max(0, self.overflow())

    def _publish(self) -> None:
        metrics = get_metrics()
        metrics.postgres_pool_checked_out.set(self.checkedout())
        metrics.postgres_pool_overflow.set(self._connections_beyond_size())


class MongoPoolMetrics(monitoring.ConnectionPoolListener):
    """Open and checked-out connections, checkout time and failures, from PyMongo's events."""

    def connection_created(self, event: monitoring.ConnectionCreatedEvent) -> None:
        get_metrics().mongo_pool_connections.inc()

    def connection_closed(self, event: monitoring.ConnectionClosedEvent) -> None:
        get_metrics().mongo_pool_connections.dec()

    def connection_checked_out(self, event: monitoring.ConnectionCheckedOutEvent) -> None:
        metrics = get_metrics()
        metrics.mongo_pool_checked_out.inc()
        metrics.mongo_pool_wait_seconds.inc(event.duration or 0.0)

    def connection_checked_in(self, event: monitoring.ConnectionCheckedInEvent) -> None:
        get_metrics().mongo_pool_checked_out.dec()

    def connection_check_out_failed(self, event: monitoring.ConnectionCheckOutFailedEvent) -> None:
        get_metrics().mongo_pool_checkout_failures.inc()

    # The events below change none of the metrics.
    def pool_created(self, event: monitoring.PoolCreatedEvent) -> None: ...
    def pool_ready(self, event: monitoring.PoolReadyEvent) -> None: ...
    def pool_cleared(self, event: monitoring.PoolClearedEvent) -> None: ...
    def pool_closed(self, event: monitoring.PoolClosedEvent) -> None: ...
    def connection_ready(self, event: monitoring.ConnectionReadyEvent) -> None: ...
    def connection_check_out_started(
        self, event: monitoring.ConnectionCheckOutStartedEvent
    ) -> None: ...
