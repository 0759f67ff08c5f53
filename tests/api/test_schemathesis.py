"""Schemathesis over the app's own OpenAPI schema, in process (ASGI), as members of two
different cases: no answer is ever 5xx, and no request naming the other case's resources
(case id, item id) succeeds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vault_testing import TestMember

from vault.context import Vault

pytestmark = pytest.mark.slow
MAX_EXAMPLES = 25


@schemathesis.serializer("application/offset+octet-stream")
def _tus_chunk(ctx: Any, value: Any) -> dict[str, Any]:
    """tus PATCH bodies are raw bytes, like application/octet-stream."""
    from schemathesis.transport.requests import binary_serializer

    return binary_serializer(ctx, value)


def _upload(client: TestClient, who: TestMember, case_id: str) -> str:
    r = client.post(
        f"/v1/cases/{case_id}/items",
        content=b"evidence",
        headers={**who.headers, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["item_id"])


def test_fuzz_every_operation_as_members_of_two_cases(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
) -> None:
    inv_a, lawyer_a, lawyer_b = (
        make_member("investigator"),
        make_member("lawyer"),
        make_member("lawyer"),
    )
    inv_b = make_member("investigator")
    case_a, case_b = make_case(inv_a, lawyer_a), make_case(inv_b, lawyer_b, title="B")
    item_a, item_b = _upload(client, inv_a, case_a), _upload(client, inv_b, case_b)
    callers = [(inv_a, "A"), (lawyer_a, "A"), (lawyer_b, "B")]
    ids = {"A": {"case_id": case_a, "item_id": item_a}, "B": {"case_id": case_b, "item_id": item_b}}

    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    failures: list[str] = []
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(),
            caller=st.sampled_from(callers),
            target=st.sampled_from(["A", "B", "generated"]),
        )
        def check(case: Any, caller: tuple[TestMember, str], target: str) -> None:
            params = {p.name for p in case.operation.path_parameters}
            who, home = caller
            named_other = False
            if target != "generated" and case.path_parameters:
                for name in params & {"case_id", "item_id"}:
                    case.path_parameters[name] = ids[target][name]
                    named_other = named_other or target != home
            response = case.call(headers=who.headers)
            where = f"{case.method} {case.formatted_path} as {who.role} of {home}"
            if response.status_code >= 500:
                failures.append(f"{where}: {response.status_code} {response.text[:200]}")
            if named_other and 200 <= response.status_code < 300:
                failures.append(f"{where}: {response.status_code} for the other case")

        check()
    assert not failures, "\n".join(failures[:20])
