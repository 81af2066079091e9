"""String rules shared by the example schemas: what both databases can store."""

from typing import Annotated

from pydantic import AfterValidator, Field


def storable(value: str) -> str:
    """Refuse NUL (PostgreSQL text and BSON keys cannot hold it) and unpaired surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None
    return value


# The pattern documents the NUL rule in the OpenAPI schema; `storable` enforces it.
StorableStr = Annotated[
    str, AfterValidator(storable), Field(json_schema_extra={"pattern": "^[^\\u0000]*$"})
]
