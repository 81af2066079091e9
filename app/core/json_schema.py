"""A schema-only annotation: document a field as another type, validate it as declared."""

from typing import Any

from pydantic import GetJsonSchemaHandler, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class DocumentedAs:
    """The field's JSON Schema is `schema_type`'s (references included); validation is unchanged.

    For rules a fast validator enforces in code that clients still need to read in OpenAPI.
    """

    def __init__(self, schema_type: Any) -> None:
        self.schema_type = schema_type

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(TypeAdapter(self.schema_type).core_schema)
