"""The OpenAPI description of event payloads agrees with the validator that enforces it."""

import re
from typing import Any

import pytest
from pydantic import ValidationError

from app.events.schemas import EventCreate
from app.main import create_app

KEYS = ["plan", "", "a$", "é", "$set", "a.b", ".", "nul\x00", "$"]


def openapi_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = create_app().openapi()["components"]["schemas"]
    return schemas


def accepts(payload: dict[str, object]) -> bool:
    try:
        EventCreate(type="t", payload=payload)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("key", KEYS)
def test_payload_key_pattern_matches_what_the_validator_accepts(key: str) -> None:
    payload_schema = openapi_schemas()["EventCreate"]["properties"]["payload"]
    pattern = payload_schema["propertyNames"]["pattern"]

    assert bool(re.search(pattern, key)) == accepts({key: 1}) == accepts({"deep": [{key: 1}]})


def test_nested_payload_values_follow_the_same_schema() -> None:
    value_schema = openapi_schemas()["PayloadValue"]
    object_branch = value_schema["anyOf"][0]

    assert object_branch["additionalProperties"] == {"$ref": "#/components/schemas/PayloadValue"}
    assert "propertyNames" in object_branch


def test_payload_description_states_the_depth_and_integer_limits() -> None:
    payload_schema = openapi_schemas()["EventCreate"]["properties"]["payload"]

    assert "32 levels" in payload_schema["description"]
    assert "64 bits" in payload_schema["description"]
