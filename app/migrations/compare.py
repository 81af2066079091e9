"""Autogenerate's type comparison, one rule stricter: a collation set on one side only counts."""

from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy.types import TypeEngine


def compare_type(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """True when the collations differ; None leaves every other difference to Alembic."""
    # Alembic ignores a collation set on one side only, so dropping "C" from a model would pass.
    inspected = getattr(inspected_type, "collation", None)
    declared = getattr(metadata_type, "collation", None)
    return True if inspected != declared else None
