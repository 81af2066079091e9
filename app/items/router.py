"""HTTP routes of `/items`; errors come from the repository and are mapped in `app.errors`.

Reads take `PgReadSessionDep` (autocommit: one round trip per query), writes `PgSessionDep`
(one transaction, committed by the repository).
"""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.core.responses import error_responses
from app.core.text import NO_NUL_SCHEMA, Storable
from app.db import PgReadSessionDep, PgSessionDep
from app.items import repository
from app.items.models import ID_MAX_LENGTH
from app.items.schemas import ItemCreate, ItemRead, ItemUpdate

# 503: PostgreSQL down or hanging. Body routes add 400 (unparsable), 413 (too large).
router = APIRouter(prefix="/items", tags=["items"], responses=error_responses(503))

ItemIdPath = Annotated[
    str, Path(min_length=1, max_length=ID_MAX_LENGTH, json_schema_extra=NO_NUL_SCHEMA), Storable
]


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(400, 409, 413))
async def create_item(item: ItemCreate, session: PgSessionDep) -> ItemRead:
    return await repository.create_item(session=session, item=item)


@router.get("")
async def list_items(
    session: PgReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    after: Annotated[
        str | None, Query(max_length=ID_MAX_LENGTH, json_schema_extra=NO_NUL_SCHEMA), Storable
    ] = None,
) -> Sequence[ItemRead]:
    return await repository.list_items(session=session, limit=limit, after=after)


@router.get("/{item_id}", responses=error_responses(404))
async def read_item(item_id: ItemIdPath, session: PgReadSessionDep) -> ItemRead:
    return await repository.get_item(session=session, item_id=item_id)


@router.patch("/{item_id}", responses=error_responses(400, 404, 413))
async def update_item(item_id: ItemIdPath, changes: ItemUpdate, session: PgSessionDep) -> ItemRead:
    return await repository.update_item(session=session, item_id=item_id, changes=changes)


# response_class=Response: a 204 has no body, so no JSON content-type either.
@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404),
)
async def delete_item(item_id: ItemIdPath, session: PgSessionDep) -> None:
    await repository.delete_item(session=session, item_id=item_id)
