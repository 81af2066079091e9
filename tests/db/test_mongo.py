"""The `mongo_db` singleton against a real MongoDB-wire server."""

import time

import pytest
from pydantic import SecretStr

from app.core.config import Settings
from app.db.exceptions import DatabaseUnavailableError
from app.db.mongo.db import MongoDb
from devstack.servers import free_port


async def test_connect_selects_the_configured_database(settings: Settings) -> None:
    mongo = MongoDb()

    await mongo.connect(settings)

    try:
        assert mongo.get_db().name == settings.MONGO_DB
        assert (await mongo.get_db().command("ping"))["ok"] == 1
    finally:
        await mongo.disconnect()


async def test_connect_fails_fast_with_a_clear_message_when_nothing_listens(
    settings: Settings,
) -> None:
    port = free_port()
    nowhere = settings.model_copy(update={"MONGO_PORT": port})
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailableError) as caught:
        await MongoDb().connect(nowhere)

    assert time.monotonic() - started < 5
    assert str(caught.value) == (
        f"MongoDB at {settings.MONGO_HOST}:{port}/{settings.MONGO_DB} is unavailable: "
        "no answer to ping"
    )


async def test_connect_with_a_wrong_password_names_the_failure_not_the_password(
    settings: Settings,
) -> None:
    wrong = settings.model_copy(update={"MONGO_PASSWORD": SecretStr("wrong-secret")})

    with pytest.raises(DatabaseUnavailableError) as caught:
        await MongoDb().connect(wrong)

    assert str(caught.value).endswith("is unavailable: ping failed (AuthenticationFailed)")
    assert "wrong-secret" not in str(caught.value)


async def test_disconnect_clears_the_client_and_is_safe_twice(settings: Settings) -> None:
    mongo = MongoDb()
    await mongo.connect(settings)

    await mongo.disconnect()
    await mongo.disconnect()

    assert (mongo.client, mongo.db) == (None, None)


def test_get_db_before_connect_raises_a_clear_error() -> None:
    with pytest.raises(
        RuntimeError, match=r"MongoDB is not connected: call `await mongo_db.connect\(\)`"
    ):
        MongoDb().get_db()
