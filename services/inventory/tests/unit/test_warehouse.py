"""Warehouses: registration by code, rename, activation."""

from __future__ import annotations

from uuid import UUID

import pytest
from inventory.domain.outcome import Outcome
from inventory.domain.warehouse import InvalidWarehouse, Warehouse


def test_code_is_normalised_and_makes_the_id(tenant_id: UUID) -> None:
    warehouse = Warehouse.register(tenant_id, " blr-1 ", "Bengaluru main")
    assert warehouse.code == "BLR-1"
    assert warehouse.active
    # a retried registration of the same code gets the same id: the event store refuses a twin
    assert Warehouse.register(tenant_id, "BLR-1", "Other").id == warehouse.id
    assert Warehouse.create_id(tenant_id, "BLR-1") == warehouse.id


@pytest.mark.parametrize(("code", "name"), [("", "Main"), ("a b", "Main"), ("OK", "  ")])
def test_invalid_code_or_name_is_refused(tenant_id: UUID, code: str, name: str) -> None:
    with pytest.raises(InvalidWarehouse) as exc:
        Warehouse.register(tenant_id, code, name)
    assert exc.value.status == 422


def test_deactivate_and_reactivate_are_idempotent(tenant_id, given, recorded, reload) -> None:
    warehouse = Warehouse.register(tenant_id, "DEL-2", "Delhi")
    given(warehouse)

    assert warehouse.deactivate() is Outcome.APPLIED
    assert warehouse.deactivate() is Outcome.DUPLICATE
    assert warehouse.rename("Delhi North") is Outcome.APPLIED
    assert recorded(warehouse) == ["Deactivated", "Renamed"]

    loaded = reload(warehouse)
    assert (loaded.active, loaded.name) == (False, "Delhi North")
    assert loaded.reactivate() is Outcome.APPLIED
    assert loaded.active
