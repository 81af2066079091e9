"""HTTP routes of `/events`; errors come from the repository and are mapped in `app.main`."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.core.responses import error_responses
from app.core.text import StorableStr
from app.db import MongoSessionDep
from app.events import repository
from app.events.schemas import EventCreate, EventRead

# 503: MongoDB down or hanging. Body routes add 400 (unparsable), 413 (too large).
router = APIRouter(prefix="/events", tags=["events"], responses=error_responses(503))

# Any other string is a well-formed id that names no event: 404 from the repository.
EventIdPath = Annotated[StorableStr, Path(min_length=1)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(400, 413))
async def create_event(event: EventCreate, db: MongoSessionDep) -> EventRead:
    return await repository.create_event(db=db, event=event)


@router.get("")
async def list_events(
    db: MongoSessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    event_type: Annotated[StorableStr | None, Query(alias="type", max_length=100)] = None,
) -> Sequence[EventRead]:
    return await repository.list_events(db=db, limit=limit, event_type=event_type)


@router.get("/{event_id}", responses=error_responses(404))
async def read_event(event_id: EventIdPath, db: MongoSessionDep) -> EventRead:
    return await repository.get_event(db=db, event_id=event_id)


@router.delete(
    "/{event_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404)
)
async def delete_event(event_id: EventIdPath, db: MongoSessionDep) -> None:
    await repository.delete_event(db=db, event_id=event_id)
