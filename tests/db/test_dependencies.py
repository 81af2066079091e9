"""The real session dependencies, and overriding the Mongo one with `app.dependency_overrides`."""

import asyncio
from collections.abc import AsyncIterator

import anyio
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.db import MongoSessionDep, PgReadSessionDep, PgSessionDep, mongo_db
from app.db.mongo.db import MongoDatabase
from app.db.mongo.dependencies import get_mongo_session
from app.db.postgres.dependencies import get_postgres_read_session, get_postgres_session
from app.db.postgres.engine import get_engine
from app.errors import add_error_handlers
from app.items.models import Item


def checked_out() -> int:
    """Connections of the process engine's pool in use right now."""
    count: int = get_engine().pool.checkedout()  # type: ignore[attr-defined]
    return count


async def assert_every_connection_is_back_and_usable() -> None:
    assert checked_out() == 0
    async with get_engine().connect() as connection:
        assert await connection.scalar(select(1)) == 1


async def test_postgres_session_is_closed_after_the_request(process_engine: None) -> None:
    sessions = get_postgres_session()
    session = await anext(sessions)
    await session.execute(select(1))
    assert checked_out() == 1

    with pytest.raises(StopAsyncIteration):
        await anext(sessions)

    assert checked_out() == 0


async def test_postgres_session_is_closed_when_the_handler_raises(process_engine: None) -> None:
    sessions = get_postgres_session()
    session = await anext(sessions)
    await session.execute(select(1))

    with pytest.raises(ValueError, match="handler failed"):
        await sessions.athrow(ValueError("handler failed"))

    assert checked_out() == 0


async def test_postgres_connection_is_back_in_the_pool_before_the_response_starts(
    process_engine: None,
) -> None:
    app = FastAPI()

    @app.get("/")
    async def query(session: PgSessionDep) -> int:
        return int(await session.scalar(select(1)) or 0)

    status_and_checked_out_at_response_start: list[tuple[int, int]] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status_and_checked_out_at_response_start.append((message["status"], checked_out()))

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    await app(scope, receive, send)

    assert status_and_checked_out_at_response_start == [(200, 0)]


def slow_handler_app(connection_held: asyncio.Event) -> FastAPI:
    """One route that checks a connection out, says so, then takes its time."""
    app = FastAPI()

    @app.post("/")
    async def slow(session: PgSessionDep) -> None:
        await session.execute(select(1))
        connection_held.set()
        await asyncio.sleep(10)

    return app


def start_request(app: ASGIApp) -> asyncio.Task[None]:
    """A POST to `/` from a client that sends nothing more and ignores the answer."""

    async def receive() -> Message:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        pass

    async def request() -> None:
        scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
        await app(scope, receive, send)

    return asyncio.create_task(request())


async def test_postgres_connection_is_returned_when_the_request_task_is_cancelled(
    process_engine: None,
) -> None:
    connection_held = asyncio.Event()
    request = start_request(slow_handler_app(connection_held))
    with anyio.fail_after(5):
        await connection_held.wait()

    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request

    await assert_every_connection_is_back_and_usable()


async def test_postgres_connection_is_returned_when_a_timeout_cancels_the_handler(
    process_engine: None,
) -> None:
    connection_held = asyncio.Event()
    app = slow_handler_app(connection_held)

    async def with_timeout(scope: Scope, receive: Receive, send: Send) -> None:
        with anyio.fail_after(1):  # what a request-timeout middleware does
            await app(scope, receive, send)

    request = start_request(with_timeout)
    with anyio.fail_after(5):
        await connection_held.wait()

    with pytest.raises(TimeoutError):
        await request

    await assert_every_connection_is_back_and_usable()


TRANSACTION_ID = text("SELECT pg_current_xact_id()::text")


async def test_postgres_session_runs_its_statements_in_one_transaction(
    process_engine: None,
) -> None:
    sessions = get_postgres_session()
    session = await anext(sessions)
    first, second = await session.scalar(TRANSACTION_ID), await session.scalar(TRANSACTION_ID)
    await sessions.aclose()

    assert first == second


async def test_read_session_runs_each_statement_on_its_own(process_engine: None) -> None:
    sessions = get_postgres_read_session()
    session = await anext(sessions)
    first, second = await session.scalar(TRANSACTION_ID), await session.scalar(TRANSACTION_ID)
    await sessions.aclose()

    assert first != second


def session_kind_app() -> FastAPI:
    """GET routes on each session dependency, reporting whether they ran in a transaction."""
    app = FastAPI()

    @app.get("/session")
    async def with_session(session: PgSessionDep) -> bool:
        return bool(await session.scalar(TRANSACTION_ID) == await session.scalar(TRANSACTION_ID))

    @app.get("/read-session")
    async def with_read_session(session: PgReadSessionDep) -> bool:
        return bool(await session.scalar(TRANSACTION_ID) == await session.scalar(TRANSACTION_ID))

    return app


@pytest.fixture
async def session_kind_client(process_engine: None) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=session_kind_app())
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_get_handler_on_the_session_runs_in_a_transaction(
    session_kind_client: AsyncClient,
) -> None:
    assert (await session_kind_client.get("/session")).json() is True


async def test_a_get_handler_on_the_read_session_runs_in_autocommit(
    session_kind_client: AsyncClient,
) -> None:
    assert (await session_kind_client.get("/read-session")).json() is False


def failing_handler_app(error: Exception) -> FastAPI:
    """A route that queries through the session, then fails on its own."""
    app = FastAPI()
    add_error_handlers(app)

    @app.post("/")
    async def fail(session: PgSessionDep) -> None:
        await session.execute(select(1))
        raise error

    return app


@pytest.mark.parametrize(
    "error",
    [TimeoutError("another service timed out"), FileNotFoundError("no such file")],
    ids=["TimeoutError", "FileNotFoundError"],
)
async def test_a_handler_error_of_its_own_is_a_500_not_a_database_outage(
    process_engine: None, error: Exception
) -> None:
    transport = ASGITransport(app=failing_handler_app(error), raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/")

    assert response.status_code == 500
    assert "unavailable" not in response.text


async def test_mongo_session_is_the_connected_database(mongo_settings: Settings) -> None:
    await mongo_db.connect(mongo_settings)
    try:
        database = await get_mongo_session()
        assert database.name == mongo_settings.MONGO_DB
    finally:
        await mongo_db.disconnect()


async def test_routes_commit_through_the_apps_own_session(
    client: AsyncClient, pg_session: AsyncSession
) -> None:
    await client.post("/items", json={"id": "via-http", "name": "N"})

    assert await pg_session.scalar(select(Item.name).where(Item.id == "via-http")) == "N"


async def test_overridden_mongo_session_is_the_one_routes_use(
    client: AsyncClient, mongo_database: MongoDatabase
) -> None:
    await client.post("/events", json={"type": "via-http"})

    assert await mongo_database["events"].count_documents({"type": "via-http"}) == 1


async def test_a_mongo_outage_in_a_handler_is_a_503_naming_mongodb(
    app: FastAPI, client: AsyncClient, unreachable_mongo: MongoDatabase
) -> None:
    app.dependency_overrides[get_mongo_session] = lambda: unreachable_mongo
    response = await client.get("/events/65f0c0ffee0ddba11c0ffee0")

    assert response.status_code == 503
    assert response.json() == {"detail": "MongoDB is unavailable: try again later"}


def duplicate_insert_app(database: MongoDatabase) -> FastAPI:
    """A route whose second insert of one `_id` the server refuses (not an outage)."""
    app = FastAPI()
    add_error_handlers(app)
    app.dependency_overrides[get_mongo_session] = lambda: database

    @app.post("/")
    async def insert_twice(db: MongoSessionDep) -> None:
        await db["notes"].insert_one({"_id": "taken"})
        await db["notes"].insert_one({"_id": "taken"})

    return app


async def test_a_mongo_error_that_is_no_outage_is_a_500(mongo_database: MongoDatabase) -> None:
    transport = ASGITransport(app=duplicate_insert_app(mongo_database), raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/")

    assert response.status_code == 500
    assert "unavailable" not in response.text
