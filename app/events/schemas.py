"""Request and response bodies of `/events`."""

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from app.core.text import NO_NUL_SCHEMA, Storable, storable

MAX_PAYLOAD_DEPTH = 32

EventType = Annotated[
    str, Field(min_length=1, max_length=100, json_schema_extra=NO_NUL_SCHEMA), Storable
]


# BSON's widest integer is signed 64-bit; the driver cannot encode a larger one.
BSON_INT_MIN, BSON_INT_MAX = -(2**63), 2**63 - 1


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
    type: EventType
    payload: Annotated[dict[str, Any], AfterValidator(storable_payload)] = Field(
        default_factory=dict
    )


class EventRead(BaseModel):
    id: str
    type: str
    payload: dict[str, Any]
    created_at: datetime
