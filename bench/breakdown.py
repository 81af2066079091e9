"""`just bench-breakdown`: where GET /items/{id} spends its CPU, one piece at a time.

Everything runs in this process against a throwaway PostgreSQL, one call at a time; each
figure is process CPU per call (median of interleaved rounds). The pieces overlap (the event
loop and the socket are in all of them), so they explain the gap to the bare route roughly,
not to the microsecond. `just bench` gives the throughput figures under load.
"""

import os
import statistics
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated, Any

import asyncpg
import uvloop
from fastapi import Depends, FastAPI, Response
from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp, Message

from devstack.servers import PostgresServer

ROUNDS = 9
CALLS = 2_000
WARM_UP_CALLS = 200
ITEM_ID = "item-1"
SELECT_ONE_SQL = "SELECT id, name, description, created_at FROM items WHERE id = $1"

Call = Callable[[], Awaitable[object]]


async def cpu_us_per_call(call: Call) -> float:
    for _ in range(WARM_UP_CALLS):
        await call()
    started = time.process_time()
    for _ in range(CALLS):
        await call()
    return (time.process_time() - started) / CALLS * 1e6


def asgi_get(app: ASGIApp, path: str) -> Call:
    """A GET straight into the ASGI app, without HTTP parsing or sockets."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"GET {path} answered {message['status']}")

    async def call() -> None:
        await app(dict(scope), receive, send)

    return call


async def yields_nothing() -> AsyncGenerator[None, None]:
    yield


async def returns_nothing() -> None:
    return None


def bare_route_with(
    dependency: Callable[[], object], pool: "asyncpg.Pool[asyncpg.Record]"
) -> FastAPI:
    """The bare route plus a dependency that does nothing: FastAPI's share of resolving it
    (a yield dependency adds an exit stack and a cancel scope)."""
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: str, _: Annotated[None, Depends(dependency)]) -> dict[str, Any]:
        return dict(await pool.fetchrow(SELECT_ONE_SQL, item_id) or {})

    return app


def item_route(*, response_model: bool = True, telemetry: bool = True) -> FastAPI:
    """The app's GET /items/{id} (read session, repository) alone on an app: with FastAPI's
    response model or a `Response` the route serialises itself; FastAPI's telemetry on (the
    default, nothing exporting) or off."""
    from app.db import PgReadSessionDep
    from app.items import repository
    from app.items.schemas import ItemRead

    off: TelemetryConfig = {
        "tracing": False,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
    }
    app = FastAPI(telemetry=None if telemetry else off)

    if response_model:

        @app.get("/items/{item_id}")
        async def read_item(item_id: str, session: PgReadSessionDep) -> ItemRead:
            return await repository.get_item(session=session, item_id=item_id)

    else:

        @app.get("/items/{item_id}", response_model=ItemRead)
        async def read_item_serialised(item_id: str, session: PgReadSessionDep) -> Response:
            item = await repository.get_item(session=session, item_id=item_id)
            return Response(item.model_dump_json(), media_type="application/json")

    return app


async def measure(env: dict[str, str]) -> dict[str, float]:
    os.environ.update(env)
    # Imported once the environment names this run's server: settings are read on first use.
    import bench.bare_app
    from app.core.config import get_settings
    from app.db import init_postgres_db
    from app.db.postgres.engine import async_session, dispose_engine, get_autocommit_engine
    from app.items import repository
    from app.main import create_app, tune_garbage_collector

    settings = get_settings()
    await init_postgres_db(settings.model_copy(update={"ENVIRONMENT": "development"}))
    pool = await asyncpg.create_pool(
        host=settings.POSTGRES_HOST,
        port=settings.POSTGRES_PORT,
        user=settings.POSTGRES_USER,
        password=settings.POSTGRES_PASSWORD.get_secret_value(),
        database=settings.POSTGRES_DB,
        min_size=2,
        max_size=2,
    )
    await pool.execute("INSERT INTO items (id, name) VALUES ($1, 'bench')", ITEM_ID)
    bench.bare_app.pool = pool
    held = await pool.acquire()
    sqlalchemy_connection = await get_autocommit_engine().connect()

    async def connection_and_query() -> None:
        async with get_autocommit_engine().connect() as connection:
            await connection.execute(repository.SELECT_ONE, {"item_id": ITEM_ID})

    async def session_alone() -> None:
        session = async_session(bind=get_autocommit_engine())
        try:
            await session.connection()
        finally:
            await session.close()

    async def session_and_query() -> None:
        session = async_session(bind=get_autocommit_engine())
        try:
            await repository.get_item(session=session, item_id=ITEM_ID)
        finally:
            await session.close()

    async def session_and_executed_query() -> None:
        session = async_session(bind=get_autocommit_engine())
        try:
            connection = await session.connection()
            (await connection.execute(repository.SELECT_ONE, {"item_id": ITEM_ID})).one()
        finally:
            await session.close()

    pieces: dict[str, Call] = {
        "asyncpg fetchrow on a held connection": lambda: held.fetchrow(SELECT_ONE_SQL, ITEM_ID),
        "asyncpg pool.fetchrow (the bare route's call)": lambda: pool.fetchrow(
            SELECT_ONE_SQL, ITEM_ID
        ),
        "SQLAlchemy Core execute on a held connection": lambda: sqlalchemy_connection.execute(
            repository.SELECT_ONE, {"item_id": ITEM_ID}
        ),
        "SQLAlchemy connection: check out, execute, close": connection_and_query,
        "AsyncSession: create, connection(), close": session_alone,
        "AsyncSession + the query through connection.execute": session_and_executed_query,
        "AsyncSession + the repository's query (fetch_one)": session_and_query,
        "ASGI: bare route": asgi_get(bench.bare_app.app, f"/items/{ITEM_ID}"),
        "ASGI: bare route + a plain dependency": asgi_get(
            bare_route_with(returns_nothing, pool), f"/items/{ITEM_ID}"
        ),
        "ASGI: bare route + a yield dependency": asgi_get(
            bare_route_with(yields_nothing, pool), f"/items/{ITEM_ID}"
        ),
        "ASGI: the item route alone (response model)": asgi_get(item_route(), f"/items/{ITEM_ID}"),
        "ASGI: the item route alone, serialising its Response": asgi_get(
            item_route(response_model=False), f"/items/{ITEM_ID}"
        ),
        "ASGI: the item route alone, FastAPI telemetry off": asgi_get(
            item_route(telemetry=False), f"/items/{ITEM_ID}"
        ),
        "ASGI: the app's route": asgi_get(create_app(), f"/items/{ITEM_ID}"),
    }
    tune_garbage_collector()  # as the app's lifespan does
    figures: dict[str, list[float]] = {name: [] for name in pieces}
    try:
        for _ in range(ROUNDS):
            for name, call in pieces.items():
                figures[name].append(await cpu_us_per_call(call))
    finally:
        await sqlalchemy_connection.close()
        await pool.release(held)
        await pool.close()
        await dispose_engine()
    return {name: statistics.median(values) for name, values in figures.items()}


def main() -> None:
    postgres = PostgresServer.create()
    try:
        env = {
            **postgres.env(),
            "POSTGRES_DB": "syncdesk_breakdown",
            # The app `just bench` measures against the bare route: no echo, logs or metrics.
            "POSTGRES_ECHO": "false",
            "ACCESS_LOG": "false",
            "METRICS": "false",
        }
        figures = uvloop.run(measure(env))
    finally:
        postgres.remove()
    width = max(map(len, figures))
    print(f"\n{'piece':<{width}}  CPU µs/call")
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:8.0f}")


if __name__ == "__main__":
    main()
