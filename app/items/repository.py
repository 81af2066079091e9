"""Queries on `items`; each function is one statement and raises `app.db.exceptions` errors."""

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.exceptions import ResourceAlreadyExistsError, ResourceNotFoundError
from app.items.models import Item
from app.items.schemas import ItemCreate, ItemRead, ItemUpdate

RESOURCE = "Item"
# Columns, not entities: rows go straight into the response schema.
COLUMNS = (Item.id, Item.name, Item.description, Item.created_at)


async def create_item(*, session: AsyncSession, item: ItemCreate) -> ItemRead:
    """Insert an item; a taken id raises `ResourceAlreadyExistsError`, also under a race."""
    # ON CONFLICT DO NOTHING: a concurrent insert of the same id waits, then returns no row.
    statement = insert(Item).values(item.model_dump()).on_conflict_do_nothing().returning(*COLUMNS)
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise ResourceAlreadyExistsError(RESOURCE, item.id)
    await session.commit()
    return ItemRead.model_validate(row)


async def get_item(*, session: AsyncSession, item_id: str) -> ItemRead:
    """The item with this id, or `ResourceNotFoundError`."""
    row = (await session.execute(select(*COLUMNS).where(Item.id == item_id))).one_or_none()
    if row is None:
        raise ResourceNotFoundError(RESOURCE, item_id)
    return ItemRead.model_validate(row)


async def list_items(
    *, session: AsyncSession, limit: int, after: str | None = None
) -> Sequence[ItemRead]:
    """Up to `limit` items ordered by id, starting after the id `after` (keyset pagination)."""
    statement = select(*COLUMNS).order_by(Item.id).limit(limit)
    if after is not None:
        statement = statement.where(Item.id > after)
    rows = (await session.execute(statement)).all()
    return [ItemRead.model_validate(row) for row in rows]


async def update_item(*, session: AsyncSession, item_id: str, changes: ItemUpdate) -> ItemRead:
    """Apply the fields sent; a missing item (also one deleted meanwhile) raises not found."""
    statement = (
        update(Item)
        .where(Item.id == item_id)
        .values(changes.model_dump(exclude_unset=True))
        .returning(*COLUMNS)
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise ResourceNotFoundError(RESOURCE, item_id)
    await session.commit()
    return ItemRead.model_validate(row)


async def delete_item(*, session: AsyncSession, item_id: str) -> None:
    """Delete in one statement: of concurrent deletes of one id, exactly one succeeds."""
    result = await session.execute(delete(Item).where(Item.id == item_id).returning(Item.id))
    if result.one_or_none() is None:
        raise ResourceNotFoundError(RESOURCE, item_id)
    await session.commit()
