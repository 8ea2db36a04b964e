"""Property-based run of every operation in the OpenAPI spec (schemathesis): no 5xx, responses match the spec."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from collector.api import create_app
from collector.storage import open_store
from tests.integration.test_api_stores import HEADERS, NOW, ApiSettings, seed

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25
# Revoking tokens at random would revoke the one the run uses.
SKIPPED = {("DELETE", "/api/v1/tokens/{token_id}")}


def test_no_server_errors_on_any_operation(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    seed(store)
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: NOW)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    ran = []
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue

        # Valid and invalid inputs alike: invalid ones must get a 4xx, never a 5xx.
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

        @given(case=strategy)
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=HEADERS, checks=[not_a_server_error, response_schema_conformance])

        run()
        ran.append(f"{operation.method.upper()} {operation.path}")
    store.close()
    assert len(ran) >= 20, ran  # every resource was exercised
