"""String rules shared by the example schemas: what both databases can store.

Put `Storable` after the length rules, so a too-long string is reported in characters:
`Annotated[str, Field(max_length=200, json_schema_extra=NO_NUL_SCHEMA), Storable]`.
"""

from pydantic import AfterValidator, JsonValue


def storable(value: str) -> str:
    """Refuse NUL (PostgreSQL text and BSON keys cannot hold it) and unpaired surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None
    return value


Storable = AfterValidator(storable)
# Documents the NUL rule in the OpenAPI schema; `storable` enforces it.
NO_NUL_SCHEMA: dict[str, JsonValue] = {"pattern": "^[^\\u0000]*$"}
