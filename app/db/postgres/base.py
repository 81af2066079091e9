"""The declarative base every Postgres model inherits from."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Base class of all SQLAlchemy models; list each one in `app.models`."""
