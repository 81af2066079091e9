"""The MongoDB client and database holder, connected in the app's lifespan."""

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from app.core.config import Settings, get_settings
from app.db.exceptions import DatabaseUnavailableError

MongoDocument = dict[str, Any]
MongoClient = AsyncIOMotorClient[MongoDocument]
MongoDatabase = AsyncIOMotorDatabase[MongoDocument]


def is_unavailable(exc: PyMongoError) -> bool:
    """Whether a driver error means the server is down, unreachable or too slow."""
    return isinstance(exc, ConnectionFailure) or exc.timeout


def _ping_failure(exc: PyMongoError) -> str:
    if is_unavailable(exc):
        return "no answer to ping"
    # e.g. AuthenticationFailed: the server's code name, never the error text with the URL.
    code_name = (exc.details or {}).get("codeName") if isinstance(exc, OperationFailure) else None
    return f"ping failed ({code_name or type(exc).__name__})"


class MongoDb:
    """Holds one Motor client and the selected database between `connect` and `disconnect`."""

    def __init__(self) -> None:
        self.client: MongoClient | None = None
        self.db: MongoDatabase | None = None

    async def connect(self, settings: Settings | None = None) -> None:
        """Create the client, select `MONGO_DB` and ping `admin`; fail fast when unreachable."""
        settings = settings or get_settings()
        client: MongoClient = AsyncIOMotorClient(
            settings.mongo_database_url,
            # One budget for each operation, retries and server selection included.
            timeoutMS=settings.MONGO_TIMEOUT_MS,
            tz_aware=True,
        )
        try:
            await client.admin.command("ping")
        except PyMongoError as exc:
            client.close()
            raise DatabaseUnavailableError(
                f"MongoDB at {settings.mongo_location}", _ping_failure(exc)
            ) from exc
        self.client, self.db = client, client[settings.MONGO_DB]

    async def disconnect(self) -> None:
        """Close the client and forget it; safe to call twice."""
        client, self.client, self.db = self.client, None, None
        if client is not None:
            client.close()

    def get_db(self) -> MongoDatabase:
        """The selected database; raises when `connect` has not run."""
        if self.db is None:
            raise RuntimeError("MongoDB is not connected: call `await mongo_db.connect()` first")
        return self.db


mongo_db = MongoDb()
