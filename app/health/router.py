"""Liveness and readiness probes."""

import asyncio
from collections.abc import Coroutine
from typing import Any, Literal

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo.errors import PyMongoError
from sqlalchemy import text

from app.db import mongo_db
from app.db.postgres.engine import get_engine, is_unavailable

router = APIRouter(prefix="/health", tags=["health"])

# Answer within 3 s whatever the databases do; checks run concurrently.
CHECK_TIMEOUT_SECONDS = 2.5


CheckStatus = Literal["ok", "unavailable"]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, CheckStatus]


@router.get("")
async def live() -> Health:
    """The process answers; no database is touched."""
    return Health(status="ok")


@router.get("/ready", responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": Readiness}})
async def ready() -> JSONResponse:
    """Both databases answer; 503 names the ones that do not."""
    postgres, mongo = await asyncio.gather(_check(_ping_postgres()), _check(_ping_mongo()))
    checks: dict[str, CheckStatus] = {"postgres": postgres, "mongo": mongo}
    healthy = all(value == "ok" for value in checks.values())
    body = Readiness(status="ok" if healthy else "unavailable", checks=checks)
    return JSONResponse(
        body.model_dump(),
        status_code=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE,
    )


async def _check(ping: Coroutine[Any, Any, None]) -> CheckStatus:
    try:
        await asyncio.wait_for(ping, CHECK_TIMEOUT_SECONDS)
    except (TimeoutError, PyMongoError, RuntimeError):  # RuntimeError: Mongo not connected
        return "unavailable"
    except Exception as exc:
        if is_unavailable(exc):
            return "unavailable"
        raise
    return "ok"


async def _ping_postgres() -> None:
    async with get_engine().connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _ping_mongo() -> None:
    await mongo_db.get_db().command("ping")
