"""The migrations and the models describe the same schema: upgrade, compare, downgrade, again."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, MetaData, String, text

from app.core.config import Settings
from app.db.postgres.engine import create_engine
from app.migrations.compare import compare_type
from app.migrations.config import head_revisions
from app.migrations.revision import current_revisions
from app.models import metadata
from tests.databases import tables
from tests.migrations.migrate import alembic


async def differences(settings: Settings, models: MetaData = metadata) -> list[Any]:
    """What autogenerate would write into a new revision: empty when nothing drifted."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
        diffs: list[Any] = compare_metadata(context, models)
        return diffs

    engine = create_engine(settings)
    async with engine.connect() as connection:
        found = await connection.run_sync(compare)
    await engine.dispose()
    return found


def copy_of(models: MetaData) -> MetaData:
    copy = MetaData()
    for table in models.tables.values():
        table.to_metadata(copy)
    return copy


async def test_upgrade_head_matches_the_models_exactly(empty_settings: Settings) -> None:
    await alembic(empty_settings, "upgrade", "head")

    assert await differences(empty_settings) == []
    assert await current_revisions(empty_settings) == head_revisions()


async def test_drift_check_catches_a_column_added_without_a_revision(
    empty_settings: Settings,
) -> None:
    await alembic(empty_settings, "upgrade", "head")

    models = copy_of(metadata)
    models.tables["items"].append_column(Column("tags", String(100)))

    found = await differences(empty_settings, models)

    assert [(diff[0], diff[-1].name) for diff in found] == [("add_column", "tags")]


async def test_drift_check_catches_a_collation_dropped_from_a_model(
    empty_settings: Settings,
) -> None:
    await alembic(empty_settings, "upgrade", "head")
    models = copy_of(metadata)
    models.tables["items"].c.id.type = String(64)

    found = await differences(empty_settings, models)

    ((kind, *_, existing, declared),) = found[0]  # one change: the type of items.id
    assert (kind, existing.collation, declared.collation) == ("modify_type", "C", None)


async def test_items_id_sorts_bytewise_with_the_c_collation(empty_settings: Settings) -> None:
    await alembic(empty_settings, "upgrade", "head")
    engine = create_engine(empty_settings)
    async with engine.connect() as connection:
        collation = await connection.scalar(
            text(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'items' AND column_name = 'id'"
            )
        )
    await engine.dispose()

    assert collation == "C"


async def test_downgrade_base_leaves_only_alembic_version(empty_settings: Settings) -> None:
    await alembic(empty_settings, "upgrade", "head")

    await alembic(empty_settings, "downgrade", "base")

    assert await tables(empty_settings) == {"alembic_version"}
    assert await current_revisions(empty_settings) == set()


async def test_upgrade_after_downgrade_base_works_again(empty_settings: Settings) -> None:
    await alembic(empty_settings, "upgrade", "head")
    await alembic(empty_settings, "downgrade", "base")

    await alembic(empty_settings, "upgrade", "head")

    assert await tables(empty_settings) == {"alembic_version", *metadata.tables}
    assert await differences(empty_settings) == []
