"""The reference: minimal FastAPI routes over a raw asyncpg pool, same queries and bodies."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException

SELECT_ONE = "SELECT id, name, description, created_at FROM items WHERE id = $1"
SELECT_PAGE = (
    "SELECT id, name, description, created_at FROM items WHERE id > $1 ORDER BY id LIMIT $2"
)
INSERT = (
    "INSERT INTO items (id, name, description) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING RETURNING id, name, description, created_at"
)
pool: asyncpg.Pool[asyncpg.Record] | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(
        host=os.environ["POSTGRES_HOST"],
        port=int(os.environ["POSTGRES_PORT"]),
        user=os.environ["POSTGRES_USER"],
        password=os.environ["POSTGRES_PASSWORD"],
        database=os.environ["POSTGRES_DB"],
        min_size=32,
        max_size=32,
    )
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


def _pool() -> asyncpg.Pool[asyncpg.Record]:
    assert pool is not None
    return pool


@app.get("/items/{item_id}")
async def read_item(item_id: str) -> dict[str, Any]:
    row = await _pool().fetchrow(SELECT_ONE, item_id)
    if row is None:
        raise HTTPException(404)
    return dict(row)


@app.get("/items")
async def list_items(limit: int = 50, after: str = "") -> list[dict[str, Any]]:
    rows = await _pool().fetch(SELECT_PAGE, after, limit)
    return [dict(row) for row in rows]


@app.post("/items", status_code=201)
async def create_item(item: dict[str, Any]) -> dict[str, Any]:
    row = await _pool().fetchrow(INSERT, item["id"], item["name"], item.get("description"))
    if row is None:
        raise HTTPException(409)
    return dict(row)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
