"""Request and response bodies of `/events`."""

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from typing_extensions import TypeAliasType

from app.core.json_schema import DocumentedAs
from app.core.text import NO_NUL_SCHEMA, Storable, storable

MAX_PAYLOAD_DEPTH = 32
# No leading `$` (an operator to MongoDB), no `.` (a path), no NUL; the empty key is fine.
PAYLOAD_KEY_PATTERN = "^([^$.\\u0000][^.\\u0000]*)?$"
PAYLOAD_DESCRIPTION = (
    "A JSON object. At every depth: keys must not start with `$` or contain `.` or NUL, "
    f"objects and arrays nest at most {MAX_PAYLOAD_DEPTH} levels, "
    "and integers must fit in 64 bits (-2^63 to 2^63-1)."
)

EventType = Annotated[
    str, Field(min_length=1, max_length=100, json_schema_extra=NO_NUL_SCHEMA), Storable
]


# BSON's widest integer is signed 64-bit; the driver cannot encode a larger one.
BSON_INT_MIN, BSON_INT_MAX = -(2**63), 2**63 - 1

# The payload as OpenAPI describes it, the key and integer rules at every depth, so that a
# request the schema allows is accepted; `storable_payload` enforces them (and the depth).
PayloadKeys = Field(json_schema_extra={"propertyNames": {"pattern": PAYLOAD_KEY_PATTERN}})
# Exclusive upper bound: validators compare as doubles, in which 2**63 - 1 rounds to 2**63.
PayloadInteger = Annotated[int, Field(ge=BSON_INT_MIN, lt=BSON_INT_MAX + 1)]
# Any other number: JSON Schema counts 2.0 as an integer, so integers take the branch above.
PayloadFraction = Annotated[float, WithJsonSchema({"type": "number", "not": {"type": "integer"}})]
PayloadValue = TypeAliasType(
    "PayloadValue",
    "Annotated[dict[str, PayloadValue], PayloadKeys] | list[PayloadValue]"
    " | str | PayloadInteger | PayloadFraction | bool | None",
)
PayloadObject = Annotated[dict[str, PayloadValue], PayloadKeys]


def storable_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Refuse what MongoDB cannot store or would read as an operator, and nesting past 32 levels.

    Also integers outside 64 bits and NaN or infinite numbers (not JSON, and BSON has no
    wider integer); each message names where in the payload the value is.
    """
    pending: list[tuple[Any, str, int]] = [(payload, "payload", 1)]
    while pending:  # a loop, not recursion: deep input must not exhaust the stack
        value, path, depth = pending.pop()
        if isinstance(value, dict | list) and depth > MAX_PAYLOAD_DEPTH:
            raise ValueError(f"must not nest deeper than {MAX_PAYLOAD_DEPTH} levels")
        if isinstance(value, dict):
            for key, child in value.items():
                _check_key(key)
                pending.append((child, f"{path}.{key}", depth + 1))
        elif isinstance(value, list):
            pending.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(value))
        elif isinstance(value, str):
            _check_text(value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{path} must be a finite number, not {value}")
        elif isinstance(value, int) and not BSON_INT_MIN <= value <= BSON_INT_MAX:
            raise ValueError(f"{path} must be an integer that fits in 64 bits")
    return payload


def _check_key(key: str) -> None:
    storable(key)
    if key.startswith("$") or "." in key:
        raise ValueError(f"keys must not start with '$' or contain '.': {key!r}")


def _check_text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None


class EventCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"type": "signup", "payload": {"plan": "pro", "seats": 3}}]}
    )

    type: EventType
    payload: Annotated[
        dict[str, Any], AfterValidator(storable_payload), DocumentedAs(PayloadObject)
    ] = Field(default_factory=dict, description=PAYLOAD_DESCRIPTION)


class EventRead(BaseModel):
    id: str
    type: str
    payload: dict[str, Any]
    created_at: datetime
