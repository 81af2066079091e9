"""Database layer: async PostgreSQL (SQLAlchemy + asyncpg) and MongoDB (Motor or PyMongo async)."""

from app.db.mongo.db import mongo_db
from app.db.mongo.dependencies import MongoSessionDep
from app.db.postgres.base import Base
from app.db.postgres.dependencies import PgReadSessionDep, PgSessionDep
from app.db.postgres.init_db import close_postgres_db, init_postgres_db
from app.db.postgres.statements import CompiledStatementError, fetch_all, fetch_one

__all__ = [
    "Base",
    "CompiledStatementError",
    "MongoSessionDep",
    "PgReadSessionDep",
    "PgSessionDep",
    "close_postgres_db",
    "fetch_all",
    "fetch_one",
    "init_postgres_db",
    "mongo_db",
]
