"""Request and response bodies of `/events`."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from app.core.text import StorableStr, storable

MAX_PAYLOAD_DEPTH = 32

EventType = Annotated[StorableStr, Field(min_length=1, max_length=100)]


def storable_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Refuse what MongoDB would reject or read as an operator, and nesting past 32 levels."""
    pending: list[tuple[Any, int]] = [(payload, 1)]
    while pending:  # a loop, not recursion: deep input must not exhaust the stack
        value, depth = pending.pop()
        if isinstance(value, dict | list) and depth > MAX_PAYLOAD_DEPTH:
            raise ValueError(f"must not nest deeper than {MAX_PAYLOAD_DEPTH} levels")
        if isinstance(value, dict):
            for key, child in value.items():
                _check_key(key)
                pending.append((child, depth + 1))
        elif isinstance(value, list):
            pending.extend((child, depth + 1) for child in value)
        elif isinstance(value, str):
            _check_text(value)
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
