"""Alembic migrations of the PostgreSQL schema; `python -m app.migrations` applies them.

They live inside the `app` package so that every image that ships the app ships them too.
"""
