"""Property-based fuzzing of every route from the app's own OpenAPI schema.

Valid and invalid inputs, 30 of each per operation: bounded so the suite stays fast.
"""

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devstack.app_process import AppProcess

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def live_schema(
    start_app: Callable[..., AppProcess], scratch_env: dict[str, str]
) -> schemathesis.BaseSchema:
    app = start_app({**scratch_env, "ENVIRONMENT": "development"})
    return schemathesis.openapi.from_url(f"{app.url}/openapi.json")


def test_no_route_answers_5xx_or_off_schema(live_schema: schemathesis.BaseSchema) -> None:
    operations = [r.ok() for r in live_schema.get_all_operations() if isinstance(r, Ok)]
    assert len(operations) == 11

    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            fuzz()
        except Unsatisfiable:
            # Some operations have no input that breaks the schema (e.g. GET /health).
            assert mode is GenerationMode.NEGATIVE, operation.label
