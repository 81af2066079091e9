"""The one map from errors to HTTP answers, registered on the app by `add_error_handlers`."""

import json
import math
from typing import Any, cast

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError

from app.core.allow_header import method_not_allowed_handler
from app.core.config import get_settings
from app.db.exceptions import (
    DatabaseError,
    DatabaseUnavailableError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)
from app.db.mongo.db import unavailable_error
from app.observability.metrics import get_metrics

# Looked up along the error's class hierarchy, so a subclass (`NoteNotFound(ResourceNotFoundError)`)
# keeps its parent's status.
STATUS_BY_ERROR: dict[type[DatabaseError], int] = {
    ResourceNotFoundError: status.HTTP_404_NOT_FOUND,
    ResourceAlreadyExistsError: status.HTTP_409_CONFLICT,
    DatabaseUnavailableError: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def status_for(error: DatabaseError) -> int:
    """The status of the nearest mapped class in the error's hierarchy; 500 for none."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return status.HTTP_500_INTERNAL_SERVER_ERROR


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: unpaired surrogates in echoed input stay valid JSON."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, separators=(",", ":"), allow_nan=False).encode("ascii")


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """404, 409 or 503 with the error's message as `detail`."""
    error = cast(DatabaseError, exc)
    if isinstance(error, DatabaseUnavailableError) and get_settings().METRICS:
        get_metrics().count_unavailable(error.database)
    return JSONResponse({"detail": str(error)}, status_code=status_for(error))


async def mongo_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A MongoDB outage met by a handler is a 503, as `DatabaseUnavailableError`; any other
    driver error is the handler's own failure and stays a 500."""
    error = unavailable_error(cast(PyMongoError, exc))
    if error is None:
        raise exc
    return await database_error_handler(request, error)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 body, rendered ASCII-only so echoed odd Unicode cannot break it."""
    errors = cast(RequestValidationError, exc).errors()
    body = _finite(jsonable_encoder({"detail": errors}))
    return AsciiJSONResponse(body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def _finite(value: Any) -> Any:
    """`value` with NaN and infinities (echoed input, which JSON cannot hold) as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def add_error_handlers(app: FastAPI) -> None:
    """Register the handlers; Starlette finds them along each error's class hierarchy."""
    for error in STATUS_BY_ERROR:
        app.add_exception_handler(error, database_error_handler)
    app.add_exception_handler(PyMongoError, mongo_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED, method_not_allowed_handler)
