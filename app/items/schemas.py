"""Request and response bodies of `/items`."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.core.text import NO_NUL_SCHEMA, Storable
from app.items.models import DESCRIPTION_MAX_LENGTH, ID_MAX_LENGTH, NAME_MAX_LENGTH


def reachable_by_path(item_id: str) -> str:
    """Refuse ids no `/items/{id}` URL reaches: `/` is decoded before routing, and clients
    resolve the path segments `.` and `..` away."""
    if "/" in item_id or item_id in (".", ".."):
        raise ValueError("must not contain '/' nor be '.' or '..': no URL could reach it")
    return item_id


# Documents `reachable_by_path` and the NUL rule in the OpenAPI schema.
ID_SCHEMA: dict[str, JsonValue] = {"pattern": "^(?!\\.\\.?$)[^/\\u0000]*$"}

ItemId = Annotated[
    str,
    Field(min_length=1, max_length=ID_MAX_LENGTH, json_schema_extra=ID_SCHEMA),
    Storable,
    AfterValidator(reachable_by_path),
]
ItemName = Annotated[
    str,
    Field(min_length=1, max_length=NAME_MAX_LENGTH, json_schema_extra=NO_NUL_SCHEMA),
    Storable,
]
ItemDescription = Annotated[
    str, Field(max_length=DESCRIPTION_MAX_LENGTH, json_schema_extra=NO_NUL_SCHEMA), Storable
]


class ItemCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": "widget-1", "name": "Widget", "description": "Blue"}]
        }
    )

    id: ItemId
    name: ItemName
    description: ItemDescription | None = None


class ItemUpdate(BaseModel):
    """A partial update: the fields sent are changed; `description: null` clears it."""

    model_config = ConfigDict(
        json_schema_extra={"minProperties": 1, "examples": [{"name": "Gadget"}]}
    )

    # Optional but never null: the schema offers no null, the validator refuses one.
    name: ItemName | SkipJsonSchema[None] = None
    description: ItemDescription | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one of: name, description")
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        return self


class ItemRead(BaseModel):
    id: str
    name: str
    description: str | None
    created_at: datetime
