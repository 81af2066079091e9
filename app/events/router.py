"""HTTP routes of `/events`; errors come from the repository and are mapped in `app.errors`."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.core.responses import error_responses
from app.core.text import NO_NUL_SCHEMA, Storable
from app.db import MongoSessionDep
from app.events import repository
from app.events.schemas import EventCreate, EventRead

# 503: MongoDB down or hanging. Body routes add 400 (unparsable), 413 (too large).
router = APIRouter(prefix="/events", tags=["events"], responses=error_responses(503))

# Any other string is a well-formed id that names no event: 404 from the repository.
EventIdPath = Annotated[str, Path(min_length=1, json_schema_extra=NO_NUL_SCHEMA), Storable]


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(400, 413))
async def create_event(event: EventCreate, db: MongoSessionDep) -> EventRead:
    return await repository.create_event(db=db, event=event)


@router.get("")
async def list_events(
    db: MongoSessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    event_type: Annotated[
        str | None,
        Query(alias="type", max_length=100, json_schema_extra=NO_NUL_SCHEMA),
        Storable,
    ] = None,
) -> Sequence[EventRead]:
    return await repository.list_events(db=db, limit=limit, event_type=event_type)


@router.get("/{event_id}", responses=error_responses(404))
async def read_event(event_id: EventIdPath, db: MongoSessionDep) -> EventRead:
    return await repository.get_event(db=db, event_id=event_id)


# response_class=Response: a 204 has no body, so no JSON content-type either.
@router.delete(
    "/{event_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404),
)
async def delete_event(event_id: EventIdPath, db: MongoSessionDep) -> None:
    await repository.delete_event(db=db, event_id=event_id)
