"""The reference for the events routes: minimal FastAPI routes over a raw `AsyncMongoClient`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from fastapi import FastAPI, HTTPException
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from app.core.config import Settings

NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
client: AsyncMongoClient[dict[str, Any]] | None = None
events: AsyncCollection[dict[str, Any]] | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global client, events
    settings = Settings()
    client = AsyncMongoClient(settings.mongo_database_url, tz_aware=True)
    events = client[os.environ["MONGO_DB"]]["events"]
    yield
    await client.close()


app = FastAPI(lifespan=lifespan)


def _events() -> AsyncCollection[dict[str, Any]]:
    assert events is not None
    return events


def _event(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(document["_id"]),
        "type": document["type"],
        "payload": document["payload"],
        "created_at": document["created_at"],
    }


@app.get("/events/{event_id}")
async def read_event(event_id: str) -> dict[str, Any]:
    document = await _events().find_one({"_id": ObjectId(event_id)})
    if document is None:
        raise HTTPException(404)
    return _event(document)


@app.get("/events")
async def list_events(limit: int = 100) -> list[dict[str, Any]]:
    cursor = _events().find({}).sort(NEWEST_FIRST).limit(limit)
    return [_event(document) async for document in cursor]


@app.post("/events", status_code=201)
async def create_event(event: dict[str, Any]) -> dict[str, Any]:
    document = {"type": event["type"], "payload": event.get("payload", {})}
    document["created_at"] = datetime.now(UTC)
    result = await _events().insert_one(document)
    return _event({**document, "_id": result.inserted_id})


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
