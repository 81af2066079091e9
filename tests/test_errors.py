"""The error → HTTP map: each mapped error and its subclasses get their status and message."""

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.db.exceptions import (
    DatabaseError,
    DatabaseUnavailableError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)
from app.errors import add_error_handlers


class NoteNotFoundError(ResourceNotFoundError):
    """What a user's resource might define."""


class NoteTakenError(ResourceAlreadyExistsError):
    pass


class SearchDownError(DatabaseUnavailableError):
    pass


ERRORS: list[tuple[DatabaseError, int]] = [
    (ResourceNotFoundError("Note", 7), 404),
    (NoteNotFoundError("Note", 7), 404),
    (ResourceAlreadyExistsError("Note", 7), 409),
    (NoteTakenError("Note", 7), 409),
    (DatabaseUnavailableError("PostgreSQL"), 503),
    (SearchDownError("Search"), 503),
]


def app_raising(error: DatabaseError) -> FastAPI:
    app = FastAPI()
    add_error_handlers(app)

    @app.get("/")
    async def fail() -> None:
        raise error

    return app


@pytest.mark.parametrize(("error", "status"), ERRORS, ids=lambda v: type(v).__name__)
async def test_error_and_its_subclasses_answer_their_status_with_the_message(
    error: DatabaseError, status: int
) -> None:
    transport = ASGITransport(app=app_raising(error), raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/")

    assert (response.status_code, response.json()) == (status, {"detail": str(error)})
