"""FastAPI dependency giving handlers the selected MongoDB database, on either driver."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from pymongo.errors import PyMongoError

from app.db.exceptions import DatabaseUnavailableError
from app.db.mongo.db import MongoDatabase, is_unavailable, mongo_db


async def get_mongo_session() -> AsyncIterator[MongoDatabase]:
    """The connected database; driver outages in the handler become `DatabaseUnavailableError`."""
    try:
        yield mongo_db.get_db()
    except PyMongoError as exc:
        if is_unavailable(exc):
            raise DatabaseUnavailableError("MongoDB") from exc
        raise


MongoSessionDep = Annotated[MongoDatabase, Depends(get_mongo_session)]
