"""The RLS statements (their effect is tested against Postgres in integration/test_isolation.py)."""

from __future__ import annotations

import pytest
from shop_runtime.rls import enable_tenant_rls, tenant_rls_statements


def test_policy_isolates_by_the_transaction_tenant_and_checks_writes() -> None:
    statements = tenant_rls_statements("order_list")
    assert statements[:2] == [
        "ALTER TABLE order_list ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE order_list FORCE ROW LEVEL SECURITY",
    ]
    policy = statements[-1]
    tenant = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
    assert f"USING (tenant_id = {tenant})" in policy
    assert f"WITH CHECK (tenant_id = {tenant})" in policy


@pytest.mark.parametrize("bad", ["t; DROP TABLE x", "t--", "a b", ""])
def test_identifiers_are_checked(bad: str) -> None:
    class Recorder:
        def execute(self, statement: object) -> None:
            raise AssertionError("nothing may run")

    with pytest.raises(ValueError):
        enable_tenant_rls(Recorder(), bad)
