"""Schemathesis against the controller's own OpenAPI spec: no input, however odd, gets a 5xx.

Driven by hand (Hypothesis `@given` per operation) rather than through schemathesis's pytest
plugin, which does not run under pytest 9. Bounded: a few examples per operation.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from kepu_contracts.clock import ManualClock
from tests.support.controller import ADMIN, Stack, at

EXAMPLES_PER_OPERATION = 8


def test_no_input_gets_a_server_error(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")), serve=True)  # schemathesis over real HTTP
    try:
        # Something to find, so paths with real ids are exercised beyond 404s.
        stack.ok("POST", "/api/v1/venues", json={"id": "v-a", "name": "A", "region": "a/b/c/d"})
        stack.controller.handle_message("kepu/v1/exhibits/ex-1/state", b'{"v":1,"online":true}')
        stack.ok(
            "POST",
            "/api/v1/rotations",
            json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
        )
        schema = schemathesis.openapi.from_url(f"{stack.server.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 25
        failures: list[str] = []
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case) -> None:
                response = case.call(
                    base_url=stack.server.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30
                )
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query or ''} {case.body!r:.200}: {response.status_code} {response.text[:200]}"
                    )

            check()
        assert not failures, "\n".join(failures[:10])
    finally:
        stack.close()
