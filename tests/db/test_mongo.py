"""The `mongo_db` singleton against a real MongoDB-wire server, on each driver."""

import time
from datetime import UTC, datetime

import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from app.core.config import Settings
from app.db.exceptions import DatabaseUnavailableError
from app.db.mongo.db import MongoDatabase, MongoDb
from tests.budgets import SCHEDULING_MARGIN_SECONDS

CLIENT_CLASSES = {"motor": AsyncIOMotorClient, "pymongo": AsyncMongoClient}


async def test_connect_selects_the_configured_database(mongo_settings: Settings) -> None:
    mongo = MongoDb()

    await mongo.connect(mongo_settings)

    try:
        assert mongo.get_db().name == mongo_settings.MONGO_DB
        assert (await mongo.get_db().command("ping"))["ok"] == 1
    finally:
        await mongo.disconnect()


async def test_connect_makes_the_configured_driver_with_the_timeout_setting(
    mongo_settings: Settings,
) -> None:
    mongo = MongoDb()

    await mongo.connect(mongo_settings)

    try:
        client = mongo.client
        assert type(client) is CLIENT_CLASSES[mongo_settings.MONGO_DRIVER]
        assert client.options.timeout == mongo_settings.MONGO_TIMEOUT_MS / 1000
    finally:
        await mongo.disconnect()


async def test_stored_datetimes_read_back_in_utc(mongo_database: MongoDatabase) -> None:
    written = datetime(2026, 5, 14, 12, 30, 15, 123000, tzinfo=UTC)
    await mongo_database["clock"].insert_one({"_id": 1, "at": written})

    document = await mongo_database["clock"].find_one({"_id": 1})

    assert document is not None
    assert document["at"] == written
    assert document["at"].utcoffset() is not None


async def test_connect_fails_fast_with_a_clear_message_when_nothing_listens(
    mongo_settings: Settings, refused_port: int
) -> None:
    port = refused_port
    # Any timeout shows it; a short one keeps the test quick (nothing can answer in time).
    nowhere = mongo_settings.model_copy(update={"MONGO_PORT": port, "MONGO_TIMEOUT_MS": 300})
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailableError) as caught:
        await MongoDb().connect(nowhere)

    # The driver gives up on server selection within its timeout, not the default 30 s.
    assert time.monotonic() - started < nowhere.MONGO_TIMEOUT_MS / 1000 + SCHEDULING_MARGIN_SECONDS
    assert str(caught.value) == (
        f"MongoDB at {mongo_settings.MONGO_HOST}:{port}/{mongo_settings.MONGO_DB} is unavailable: "
        "no answer to ping"
    )


async def test_connect_with_a_wrong_password_names_the_failure_not_the_password(
    mongo_settings: Settings,
) -> None:
    wrong = mongo_settings.model_copy(update={"MONGO_PASSWORD": SecretStr("wrong-secret")})

    with pytest.raises(DatabaseUnavailableError) as caught:
        await MongoDb().connect(wrong)

    assert str(caught.value).endswith("is unavailable: ping failed (AuthenticationFailed)")
    assert "wrong-secret" not in str(caught.value)


async def test_disconnect_clears_the_client_and_is_safe_twice(mongo_settings: Settings) -> None:
    mongo = MongoDb()
    await mongo.connect(mongo_settings)

    await mongo.disconnect()
    await mongo.disconnect()

    assert (mongo.client, mongo.db) == (None, None)


def test_get_db_before_connect_raises_a_clear_error() -> None:
    with pytest.raises(
        RuntimeError, match=r"MongoDB is not connected: call `await mongo_db.connect\(\)`"
    ):
        MongoDb().get_db()


async def test_connect_with_an_unresolvable_srv_name_fails_in_one_line(
    mongo_settings: Settings,
) -> None:
    bad = mongo_settings.model_copy(
        update={"MONGO_URL": SecretStr("mongodb+srv://cluster0.invalid/app")}
    )

    # Both drivers resolve the SRV name at the first operation: the ping.
    expected = (
        r"^MongoDB at cluster0\.invalid/\w+ is unavailable: ping failed \(ConfigurationError\)$"
    )
    with pytest.raises(DatabaseUnavailableError, match=expected):
        await MongoDb().connect(bad)
