"""The projector of inventory's read models: its own notification log → ``warehouses``,
``stock_levels`` and ``reservations`` (see `inventory.adapters.read_models`).

Every write is guarded by the aggregate version (``version < :v``), so an event applied twice (a
replay) changes nothing, and a row never moves backwards.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_runtime.projector import Projector
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory.adapters.read_models import reservations, stock_levels, warehouses

__all__ = ["InventoryProjector"]

_LEVEL_EVENTS = frozenset(
    {"StockItem.Adjusted", "StockItem.Reserved", "StockItem.Released", "StockItem.Committed"}
)


def _json_lines(lines: Any) -> list[dict[str, Any]]:
    return [{k: str(v) if isinstance(v, UUID) else v for k, v in ln.items()} for ln in lines]


class InventoryProjector(Projector):
    name = "inventory.read_models"

    async def project(self, conn: AsyncConnection, event: DomainEventProtocol[UUID]) -> None:
        kind = type(event).__qualname__
        e: Any = event
        aggregate_id, version = event.originator_id, event.originator_version
        if kind.startswith("Warehouse."):
            await self._warehouse(conn, kind, e, aggregate_id, version)
        elif kind.startswith("StockItem."):
            await self._stock(conn, kind, e, aggregate_id, version)
        elif kind.startswith("Reservation."):
            await self._reservation(conn, kind, e, aggregate_id, version)

    async def _warehouse(
        self, conn: AsyncConnection, kind: str, e: Any, wid: UUID, version: int
    ) -> None:
        t = warehouses.c
        if kind == "Warehouse.Registered":
            await conn.execute(
                insert(warehouses)
                .values(
                    tenant_id=e.tenant_id,
                    warehouse_id=wid,
                    code=e.code,
                    name=e.name,
                    active=True,
                    version=version,
                )
                .on_conflict_do_nothing()
            )
            return
        values: dict[str, Any]
        if kind == "Warehouse.Renamed":
            values = {"name": e.name}
        elif kind == "Warehouse.Deactivated":
            values = {"active": False}
        elif kind == "Warehouse.Reactivated":
            values = {"active": True}
        else:
            return
        await conn.execute(
            update(warehouses)
            .where(t.tenant_id == e.tenant_id, t.warehouse_id == wid, t.version < version)
            .values(version=version, **values)
        )

    async def _stock(
        self, conn: AsyncConnection, kind: str, e: Any, item_id: UUID, version: int
    ) -> None:
        t = stock_levels.c
        if kind == "StockItem.Registered":
            await conn.execute(
                insert(stock_levels)
                .values(
                    tenant_id=e.tenant_id,
                    stock_item_id=item_id,
                    sku_id=e.sku_id,
                    warehouse_id=e.warehouse_id,
                    on_hand=0,
                    reserved=0,
                    available=0,
                    reorder_point=e.reorder_point,
                    version=version,
                )
                .on_conflict_do_nothing()
            )
            return
        values: dict[str, Any]
        if kind in _LEVEL_EVENTS:
            values = {"on_hand": e.on_hand, "reserved": e.reserved, "available": e.available}
        elif kind == "StockItem.ReorderPointChanged":
            values = {"reorder_point": e.reorder_point}
        else:
            values = {}
        await conn.execute(
            update(stock_levels)
            .where(t.tenant_id == e.tenant_id, t.stock_item_id == item_id, t.version < version)
            .values(version=version, updated_at=e.timestamp, **values)
        )

    async def _reservation(
        self, conn: AsyncConnection, kind: str, e: Any, rid: UUID, version: int
    ) -> None:
        t = reservations.c
        if kind == "Reservation.Requested":
            await conn.execute(
                insert(reservations)
                .values(
                    tenant_id=e.tenant_id,
                    reservation_id=rid,
                    order_id=e.order_id,
                    status="requested",
                    lines=_json_lines(e.lines),
                    version=version,
                )
                .on_conflict_do_nothing()
            )
            return
        values: dict[str, Any]
        if kind == "Reservation.Held":
            values = {"status": "active", "lines": _json_lines(e.lines), "expires_at": e.expires_at}
        elif kind == "Reservation.Failed":
            values = {"status": "failed", "reason": e.reason, "shortages": _json_lines(e.shortages)}
        elif kind == "Reservation.Committed":
            values = {"status": "committed"}
        elif kind == "Reservation.Released":
            values = {"status": "released", "reason": e.reason}
        else:
            return
        await conn.execute(
            update(reservations)
            .where(t.tenant_id == e.tenant_id, t.reservation_id == rid, t.version < version)
            .values(version=version, updated_at=e.timestamp, **values)
        )
