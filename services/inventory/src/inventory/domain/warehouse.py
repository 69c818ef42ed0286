"""Warehouse: a place that holds stock. Small on purpose: stock lives in `StockItem`."""

from __future__ import annotations

import re
from uuid import UUID

from eventsourcing.domain import event
from shop_contracts.ids import derived_id
from shop_runtime.aggregate import TenantAggregate

from inventory.domain.errors import InventoryError
from inventory.domain.outcome import Outcome

__all__ = ["InvalidWarehouse", "Warehouse", "WarehouseDirectory", "normalized_code"]

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$")


class InvalidWarehouse(InventoryError):
    status = 422
    code = "invalid_warehouse"


def normalized_code(code: str) -> str:
    """The stored form of a warehouse code (upper-case); use it before `Warehouse.create_id`."""
    code = code.strip().upper()
    if not _CODE.match(code):
        raise InvalidWarehouse("a warehouse code is 1 to 50 letters, digits, '-' or '_'")
    return code


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidWarehouse("a warehouse name is 1 to 255 characters")
    return name


class Warehouse(TenantAggregate):
    """Events: ``Registered(code, name)``, ``Renamed(name)``, ``Deactivated``, ``Reactivated``.

    ``code`` (e.g. ``"BLR-1"``, stored upper-case) never changes and makes the id:
    ``derived_id(derived_id(tenant_id, "warehouse"), code)``, so a second registration of a code
    collides in the event store (a retried request cannot make a twin). An inactive warehouse
    keeps its stock but the application leaves its stock items out of new reservations.
    """

    @staticmethod
    def create_id(tenant_id: UUID, code: str) -> UUID:
        return derived_id(derived_id(tenant_id, "warehouse"), code)

    @classmethod
    def register(cls, tenant_id: UUID, code: str, name: str) -> Warehouse:
        code = normalized_code(code)
        return cls(tenant_id=tenant_id, code=code, name=_checked_name(name))

    @event("Registered")
    def __init__(self, tenant_id: UUID, code: str, name: str) -> None:
        self.code = code
        self.name = name
        self.active = True

    def rename(self, name: str) -> Outcome:
        name = _checked_name(name)
        if name == self.name:
            return Outcome.DUPLICATE
        self._renamed(name=name)
        return Outcome.APPLIED

    def deactivate(self) -> Outcome:
        if not self.active:
            return Outcome.DUPLICATE
        self._deactivated()
        return Outcome.APPLIED

    def reactivate(self) -> Outcome:
        if self.active:
            return Outcome.DUPLICATE
        self._reactivated()
        return Outcome.APPLIED

    @event("Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    @event("Deactivated")
    def _deactivated(self) -> None:
        self.active = False

    @event("Reactivated")
    def _reactivated(self) -> None:
        self.active = True


class WarehouseDirectory(TenantAggregate):
    """The warehouses of one tenant, with whether each is active: one per tenant, id
    ``derived_id(tenant_id, "warehouses")``.

    The event store cannot list a tenant's aggregates, and stock item ids are derived from
    (tenant, SKU, warehouse): with this list the application finds every stock item of a SKU by
    id, from the event store itself (a read model could lag behind a just-registered warehouse and
    make an order fail for want of stock that exists). Saved together with the `Warehouse` it
    lists, so the two never disagree.
    """

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:
        return derived_id(tenant_id, "warehouses")

    @event("Created")
    def __init__(self, tenant_id: UUID) -> None:
        # warehouse id -> active
        self.warehouses: dict[UUID, bool] = {}

    def active_ids(self) -> list[UUID]:
        """Active warehouses, in a stable order."""
        return sorted((w for w, active in self.warehouses.items() if active), key=str)

    def track(self, warehouse: Warehouse) -> Outcome:
        """Record the warehouse (and whether it is active) if the list does not say so already."""
        if self.warehouses.get(warehouse.id) == warehouse.active:
            return Outcome.DUPLICATE
        self._listed(warehouse_id=warehouse.id, active=warehouse.active)
        return Outcome.APPLIED

    @event("Listed")
    def _listed(self, warehouse_id: UUID, active: bool) -> None:
        self.warehouses[warehouse_id] = active
