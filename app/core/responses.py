"""OpenAPI documentation of the error bodies `app.main` produces through `app.errors`."""

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """Every error answer: `{"detail": ...}`."""

    detail: Any


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries so the schema lists the errors a route can answer."""
    return {code: {"model": ErrorBody} for code in status_codes}
