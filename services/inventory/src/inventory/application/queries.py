"""What the API and the sweeper read from inventory's read models (the port; the SQL adapter is
`inventory.adapters.read_models.SqlInventoryQueries`). Read models are written by the projector
from the event store, so they may lag behind a command by a few milliseconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

__all__ = [
    "DueReservation",
    "InventoryQueries",
    "ReservationView",
    "SkuStockView",
    "WarehouseLevel",
]


@dataclass(frozen=True, slots=True)
class WarehouseLevel:
    warehouse_id: UUID
    on_hand: int
    reserved: int
    available: int


@dataclass(frozen=True, slots=True)
class SkuStockView:
    """Stock of one SKU: totals over its warehouses, and each warehouse."""

    sku_id: UUID
    on_hand: int
    reserved: int
    available: int
    warehouses: tuple[WarehouseLevel, ...]


@dataclass(frozen=True, slots=True)
class ReservationView:
    reservation_id: UUID
    order_id: UUID
    status: str
    lines: list[dict[str, Any]]
    expires_at: datetime | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class DueReservation:
    """An active reservation whose hold ran out, as the read model sees it."""

    tenant_id: UUID
    reservation_id: UUID


class InventoryQueries(Protocol):
    async def sku_stock(self, tenant_id: UUID, sku_id: UUID) -> SkuStockView | None:
        """Levels of the SKU; None if it has no stock item in any warehouse of the tenant."""

    async def reservation_for_order(
        self, tenant_id: UUID, order_id: UUID
    ) -> ReservationView | None: ...

    async def due_reservations(self, now: datetime, limit: int) -> list[DueReservation]:
        """Active reservations of every tenant that expired at ``now``, oldest first."""
