"""The registry of Postgres models: importing it puts every table into `metadata`.

`init_postgres_db`, the migrations and the tests read the tables from here, so a table exists
because it is listed, not because some router happened to be imported.
"""

from app.db.postgres.base import Base

# A new model is one line here.
from app.items.models import Item

metadata = Base.metadata

__all__ = ["Item", "metadata"]
