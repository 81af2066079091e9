"""The events repository's indexes, against a real MongoDB-wire server."""

from app.db.mongo.db import MongoDatabase
from app.events.repository import create_indexes


async def test_create_indexes_covers_both_list_queries_and_is_idempotent(
    mongo_database: MongoDatabase,
) -> None:
    await create_indexes(db=mongo_database)
    await create_indexes(db=mongo_database)

    keys = [info["key"] for info in (await mongo_database["events"].index_information()).values()]
    assert [("created_at", -1), ("_id", -1)] in keys
    assert [("type", 1), ("created_at", -1), ("_id", -1)] in keys
