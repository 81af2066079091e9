"""FastAPI dependency giving handlers the selected MongoDB database, on either driver."""

from typing import Annotated

from fastapi import Depends

from app.db.mongo.db import MongoDatabase, mongo_db


async def get_mongo_session() -> MongoDatabase:
    """The connected database. Returned, not yielded: there is nothing to close per request,
    and a yield dependency costs FastAPI an exit stack and a cancel scope on every request.
    A driver outage in the handler is answered 503 by `app.errors` (`unavailable_error`)."""
    return mongo_db.get_db()


MongoSessionDep = Annotated[MongoDatabase, Depends(get_mongo_session)]
