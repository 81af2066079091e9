"""Request and response bodies of `/items`."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.core.text import StorableStr
from app.items.models import DESCRIPTION_MAX_LENGTH, ID_MAX_LENGTH, NAME_MAX_LENGTH

ItemId = Annotated[StorableStr, Field(min_length=1, max_length=ID_MAX_LENGTH)]
ItemName = Annotated[StorableStr, Field(min_length=1, max_length=NAME_MAX_LENGTH)]
ItemDescription = Annotated[StorableStr, Field(max_length=DESCRIPTION_MAX_LENGTH)]


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
