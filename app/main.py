"""The FastAPI application: the lifespan, and `create_app` assembling routers and middleware.

Nothing is built at import: servers call the factory (`uvicorn --factory app.main:create_app`),
so settings are read when the app starts, never when a test or a tool imports this module.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.core.api_docs import add_api_docs
from app.core.body_limit import RequestBodyLimit
from app.core.config import (
    InsecureSettingsError,
    Settings,
    ensure_production_ready,
    get_settings,
)
from app.core.logs import log_database_locations
from app.core.startup import OneLineStartupErrors, StartupError
from app.db import close_postgres_db, init_postgres_db, mongo_db
from app.db.exceptions import DatabaseError
from app.errors import add_error_handlers
from app.events.repository import create_indexes as create_event_indexes
from app.events.router import router as events_router
from app.health.router import router as health_router
from app.items.router import router as items_router
from app.observability.logs import configure_logging
from app.observability.metrics import get_metrics, mark_worker_stopped
from app.observability.metrics import router as metrics_router
from app.observability.middleware import RequestObservation

# Probes and scrapes, every few seconds from every replica: no request spans for them.
UNTRACED_PATHS = frozenset({"/health", "/health/ready", "/metrics"})

# The default (700) collects many times a second under load, each time walking every object
# of the requests in flight: about 5 % of a busy worker's CPU, for garbage that is rarely cyclic.
YOUNG_GENERATION_GC_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Freeze the objects built at startup (they live as long as the process) and collect
    the young generation less often."""
    gc.freeze()
    _, *older_thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_GC_THRESHOLD, *older_thresholds)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the databases in order, close in reverse.

    Development recreates the tables; production only checks that the migrations have run.
    """
    settings = get_settings()
    log_database_locations(settings)
    try:
        ensure_production_ready(settings)
        if settings.ENVIRONMENT == "development":
            await init_postgres_db(settings)
        elif settings.ENVIRONMENT == "production":
            await ensure_migrated(settings)
        await mongo_db.connect(settings)
        await create_event_indexes(db=mongo_db.get_db())
    except (InsecureSettingsError, DatabaseError) as exc:
        raise StartupError(str(exc)) from None
    tune_garbage_collector()
    try:
        yield
    finally:
        await mongo_db.disconnect()
        await close_postgres_db()
        mark_worker_stopped()


async def ensure_migrated(settings: Settings) -> None:
    """Refuse to serve a database whose schema is behind the migrations' head."""
    # Imported here so that only production loads Alembic (a third of SQLAlchemy's import time).
    from app.migrations.revision import SchemaBehindError, ensure_schema_at_head

    try:
        await ensure_schema_at_head(settings)
    except SchemaBehindError as exc:
        raise StartupError(str(exc)) from None


def create_app() -> FastAPI:
    """Build the app; settings are read here, not at import."""
    settings = get_settings()
    configure_logging(settings)
    app = FastAPI(
        title="syncdesk",
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry: request spans once a tracer provider is configured (by
        # FASTAPI_OTEL_AUTO_CONFIGURE and OTEL_* at startup, see docs/observability.md).
        telemetry={"exclude": lambda scope: scope.get("path") in UNTRACED_PATHS},
        # With the API docs off there is no schema, and `add_api_docs` adds no pages.
        openapi_url="/openapi.json" if settings.api_docs else None,
        docs_url=None,  # served by `add_api_docs`, from the app rather than a CDN
        redoc_url=None,
    )
    add_api_docs(app)
    for router in (health_router, items_router, events_router):
        app.include_router(router)
    if settings.METRICS:
        app.include_router(metrics_router)
    add_error_handlers(app)
    app.add_middleware(RequestBodyLimit, max_bytes=settings.MAX_BODY_BYTES)
    if settings.cors_origins:
        # Added after the body limit, so it runs before it: preflights and 413s get CORS headers.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(OneLineStartupErrors)
    if settings.METRICS or settings.ACCESS_LOG:
        # Added last, so it runs first: its access line and timing cover every other layer.
        metrics = get_metrics() if settings.METRICS else None
        app.add_middleware(RequestObservation, metrics=metrics, access_log=settings.ACCESS_LOG)
    return app
