"""The app with its read routes on `PgSessionDep` (a transaction) instead of `PgReadSessionDep`
(autocommit): what the read session saves. Served with `uvicorn --factory`."""

from fastapi import FastAPI

from app import main
from app.db.postgres.dependencies import get_postgres_read_session, get_postgres_session


def create_app() -> FastAPI:
    """The app, reads on a transaction."""
    app = main.create_app()
    app.dependency_overrides[get_postgres_read_session] = get_postgres_session
    return app
