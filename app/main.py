"""The FastAPI application: lifespan, routers and the one map from errors to HTTP."""

import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.core.body_limit import RequestBodyLimit
from app.core.config import InsecureSettingsError, ensure_production_ready, get_settings
from app.core.logs import log_database_locations, show_info_lines
from app.core.startup import OneLineStartupErrors, StartupError
from app.db import close_postgres_db, init_postgres_db, mongo_db
from app.db.exceptions import (
    DatabaseError,
    DatabaseUnavailableError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)
from app.events.repository import create_indexes as create_event_indexes
from app.events.router import router as events_router
from app.health.router import router as health_router
from app.items.router import router as items_router

STATUS_BY_ERROR: dict[type[Exception], int] = {
    ResourceNotFoundError: status.HTTP_404_NOT_FOUND,
    ResourceAlreadyExistsError: status.HTTP_409_CONFLICT,
    DatabaseUnavailableError: status.HTTP_503_SERVICE_UNAVAILABLE,
}


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
    """Open the databases in order (recreating tables in development), close in reverse."""
    settings = get_settings()
    show_info_lines()
    log_database_locations(settings)
    try:
        ensure_production_ready(settings)
        if settings.ENVIRONMENT == "development":
            await init_postgres_db(settings)
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


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: unpaired surrogates in echoed input stay valid JSON."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """404, 409 or 503 with the error's message as `detail`."""
    return JSONResponse({"detail": str(exc)}, status_code=STATUS_BY_ERROR[type(exc)])


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 body, rendered ASCII-only so echoed odd Unicode cannot break it."""
    errors = cast(RequestValidationError, exc).errors()
    body = jsonable_encoder({"detail": errors})
    return AsciiJSONResponse(body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def create_app() -> FastAPI:
    """Build the app; settings are read here, not at import."""
    settings = get_settings()
    app = FastAPI(title="syncdesk", lifespan=lifespan)
    for router in (health_router, items_router, events_router):
        app.include_router(router)
    for error in STATUS_BY_ERROR:
        app.add_exception_handler(error, database_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_middleware(RequestBodyLimit, max_bytes=settings.MAX_BODY_BYTES)
    app.add_middleware(OneLineStartupErrors)
    return app


app = create_app()
