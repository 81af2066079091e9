"""The MongoDB client and database holder, connected in the app's lifespan.

Two drivers sit behind it, chosen by `MONGO_DRIVER`: PyMongo's own async API (the default)
and Motor, its predecessor. Handlers see one type, `MongoDatabase`, for either.
"""

import gc
import warnings
from typing import TYPE_CHECKING, Any, TypeAlias

from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from app.core.config import MongoDriver, Settings, get_settings
from app.db.exceptions import DatabaseUnavailableError
from app.observability.database_spans import CommandSpans
from app.observability.pools import MongoPoolMetrics

MongoDocument = dict[str, Any]
# How an HTTP answer names the database: host names stay in the logs.
DATABASE = "MongoDB"
if TYPE_CHECKING:
    from motor.motor_asyncio import (
        AsyncIOMotorClient,
        AsyncIOMotorCollection,
        AsyncIOMotorDatabase,
    )

    # Motor ships no type hints, so mypy checks code against PyMongo's async API: write code
    # both drivers run (see docs/mongo-drivers.md for where they differ).
    MongoClient: TypeAlias = AsyncMongoClient[MongoDocument] | AsyncIOMotorClient[MongoDocument]
    MongoDatabase: TypeAlias = AsyncDatabase[MongoDocument] | AsyncIOMotorDatabase[MongoDocument]
    MongoCollection: TypeAlias = (
        AsyncCollection[MongoDocument] | AsyncIOMotorCollection[MongoDocument]
    )
else:
    # Motor is imported only when chosen (90 ms of every process's start otherwise); at run
    # time the aliases, which only annotations read, name PyMongo's classes.
    MongoClient = AsyncMongoClient[MongoDocument]
    MongoDatabase = AsyncDatabase[MongoDocument]
    MongoCollection = AsyncCollection[MongoDocument]


def client_class(driver: MongoDriver) -> type[MongoClient]:
    """The client class of a `MONGO_DRIVER` value."""
    if driver == "motor":
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient
    return AsyncMongoClient


def create_client(settings: Settings) -> MongoClient:
    """A client of the `MONGO_DRIVER` driver; it connects on first use."""
    listeners: list[monitoring.CommandListener | monitoring.ConnectionPoolListener] = [
        CommandSpans()
    ]
    if settings.METRICS:
        listeners.append(MongoPoolMetrics())
    return client_class(settings.MONGO_DRIVER)(
        settings.mongo_database_url,
        # One budget for each operation, retries and server selection included.
        timeoutMS=settings.MONGO_TIMEOUT_MS,
        tz_aware=True,
        event_listeners=listeners,
    )


async def close_client(client: MongoClient) -> None:
    """Close a client of either driver: PyMongo's `close()` is a coroutine, Motor's is not."""
    if not isinstance(client, AsyncMongoClient):
        client.close()
        return
    # PyMongo 4.20 may cancel its server monitor mid-connect and leave that socket to the
    # garbage collector: collect it now, and without the ResourceWarning it would raise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        await client.close()
        gc.collect()


def is_unavailable(exc: PyMongoError) -> bool:
    """Whether a driver error means the server is down, unreachable or too slow."""
    return isinstance(exc, ConnectionFailure) or exc.timeout


def unavailable_error(exc: PyMongoError) -> DatabaseUnavailableError | None:
    """The `DatabaseUnavailableError` for a driver error that is an outage; None for any other
    (a refused write, a bad query: the handler's own failure)."""
    return DatabaseUnavailableError(DATABASE) if is_unavailable(exc) else None


def _ping_failure(exc: PyMongoError) -> str:
    if is_unavailable(exc):
        return "no answer to ping"
    # e.g. AuthenticationFailed: the server's code name, never the error text with the URL.
    code_name = (exc.details or {}).get("codeName") if isinstance(exc, OperationFailure) else None
    return f"ping failed ({code_name or type(exc).__name__})"


class MongoDb:
    """Holds one client and the selected database between `connect` and `disconnect`."""

    def __init__(self) -> None:
        self.client: MongoClient | None = None
        self.db: MongoDatabase | None = None

    async def connect(self, settings: Settings | None = None) -> None:
        """Create the client, select `MONGO_DB` and ping `admin`; fail fast when unreachable."""
        settings = settings or get_settings()
        client = create_client(settings)
        try:
            await client.admin.command("ping")
        except PyMongoError as exc:
            await close_client(client)
            raise DatabaseUnavailableError(
                f"MongoDB at {settings.mongo_location}", _ping_failure(exc)
            ) from exc
        self.client, self.db = client, client[settings.MONGO_DB]

    async def disconnect(self) -> None:
        """Close the client and forget it; safe to call twice."""
        client, self.client, self.db = self.client, None, None
        if client is not None:
            await close_client(client)

    def get_db(self) -> MongoDatabase:
        """The selected database; raises when `connect` has not run."""
        if self.db is None:
            raise RuntimeError("MongoDB is not connected: call `await mongo_db.connect()` first")
        return self.db


mongo_db = MongoDb()
