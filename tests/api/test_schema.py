"""Schemathesis against the app's own OpenAPI document, over a portfolio with data: whatever
the generator sends that the schema allows (or nearly allows), the API never answers with a
server error, and every answer matches the schema.

Each operation's cases come from its Hypothesis strategy (``as_strategy``) inside one test,
with the seeded app of tests/api/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.settings import ApiSettings

#: Cases per operation: enough to reach every parameter's edges, few enough for the suite.
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(name="settings")
def settings_with_a_credential_key(tmp_path: Path) -> ApiSettings:
    """The seeded app's settings (tests/api/conftest.py), with a broker credential key: without
    one, creating a partner is refused with a 503 that says to set it."""
    return ApiSettings(
        data_dir=tmp_path,
        api_workers=4,
        api_auth="demo",
        api_portfolio_cache_s=0,
        broker_credential_key="a-credential-key-for-the-schema-test-only",
    )


def test_no_server_error_and_answers_as_documented(client: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        run()
