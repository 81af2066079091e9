"""Liveness and readiness probes."""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel
from pymongo.errors import PyMongoError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import MongoSessionDep
from app.db.mongo.db import MongoDatabase
from app.db.postgres.dependencies import PgEngineDep
from app.db.postgres.failures import describe_failure, is_unavailable

router = APIRouter(prefix="/health", tags=["health"])
logger = logging.getLogger(__name__)

# Answer within 3 s whatever the databases do; checks run concurrently.
CHECK_TIMEOUT_SECONDS = 2.5


CheckStatus = Literal["ok", "unavailable"]


class Health(BaseModel):
    status: Literal["ok"]


class Checks(BaseModel):
    postgres: CheckStatus
    mongo: CheckStatus


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: Checks


@router.get("")
async def live() -> Health:
    """The process answers; no database is touched."""
    return Health(status="ok")


@router.get("/ready", responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": Readiness}})
async def ready(engine: PgEngineDep, db: MongoSessionDep, response: Response) -> Readiness:
    """Both databases answer; 503 names the ones that do not."""
    postgres, mongo = await asyncio.gather(
        _check("postgres", _ping_postgres(engine)), _check("mongo", _ping_mongo(db))
    )
    checks = Checks(postgres=postgres, mongo=mongo)
    if postgres == mongo == "ok":
        return Readiness(status="ok", checks=checks)
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(status="unavailable", checks=checks)


async def _check(database: str, ping: Coroutine[Any, Any, None]) -> CheckStatus:
    # Any failure is "unavailable": a probe must not send traffic to an app whose database
    # fails, for whatever reason. Reasons other than an outage (a missing database, a bug)
    # are logged, without the error's text, which may hold a URL.
    try:
        await asyncio.wait_for(ping, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        if not isinstance(exc, TimeoutError | PyMongoError) and not is_unavailable(exc):
            logger.warning("readiness: %s check failed (%s)", database, describe_failure(exc))
        return "unavailable"
    return "ok"


async def _ping_postgres(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        # Autocommit: one round trip, and no BEGIN/ROLLBACK in the SQL echo every probe.
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("SELECT 1"))


async def _ping_mongo(db: MongoDatabase) -> None:
    await db.command("ping")
