"""Queries on the `events` collection; errors are `app.db.exceptions` errors."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import IndexModel

from app.db.exceptions import ResourceNotFoundError
from app.db.mongo.db import MongoCollection, MongoDatabase
from app.events.schemas import EventCreate, EventRead

RESOURCE = "Event"
COLLECTION = "events"
NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
# The list query's two shapes: all events, and one type's, both newest first.
INDEXES = [IndexModel(NEWEST_FIRST), IndexModel([("type", 1), *NEWEST_FIRST])]


def _events(db: MongoDatabase) -> MongoCollection:
    return db[COLLECTION]


def _to_event(document: Mapping[str, Any]) -> EventRead:
    return EventRead(
        id=str(document["_id"]),
        type=document["type"],
        payload=document["payload"],
        created_at=document["created_at"],
    )


def _object_id(event_id: str) -> ObjectId:
    # A malformed id names no stored event: not found, like any other unknown id.
    if not ObjectId.is_valid(event_id):
        raise ResourceNotFoundError(RESOURCE, event_id)
    return ObjectId(event_id)


async def create_indexes(*, db: MongoDatabase) -> None:
    """Create the collection's indexes; a no-op when they exist."""
    await _events(db).create_indexes(INDEXES)


async def create_event(*, db: MongoDatabase, event: EventCreate) -> EventRead:
    """Store an event stamped now (UTC, millisecond precision as BSON keeps it)."""
    now = datetime.now(UTC)
    document = {
        **event.model_dump(),
        "created_at": now.replace(microsecond=now.microsecond // 1000 * 1000),
    }
    result = await _events(db).insert_one(document)
    return _to_event({**document, "_id": result.inserted_id})


async def get_event(*, db: MongoDatabase, event_id: str) -> EventRead:
    """The event with this id, or `ResourceNotFoundError`."""
    document = await _events(db).find_one({"_id": _object_id(event_id)})
    if document is None:
        raise ResourceNotFoundError(RESOURCE, event_id)
    return _to_event(document)


async def list_events(
    *, db: MongoDatabase, limit: int, event_type: str | None = None
) -> Sequence[EventRead]:
    """Up to `limit` events, newest first, optionally of one type."""
    query = {} if event_type is None else {"type": event_type}
    cursor = _events(db).find(query).sort(NEWEST_FIRST).limit(limit)
    return [_to_event(document) async for document in cursor]


async def delete_event(*, db: MongoDatabase, event_id: str) -> None:
    """Delete the event, or raise `ResourceNotFoundError`."""
    result = await _events(db).delete_one({"_id": _object_id(event_id)})
    if result.deleted_count == 0:
        raise ResourceNotFoundError(RESOURCE, event_id)
