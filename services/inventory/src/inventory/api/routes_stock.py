"""Warehouses, stock adjustments, stock levels and reservations (staff only)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio
from fastapi import APIRouter, Depends, Request
from shop_runtime.aggregate import NotFound
from shop_runtime.auth import Principal, require_permission

from inventory.api.models import (
    AdjustmentIn,
    ReservationOut,
    SkuStockOut,
    StockLevelOut,
    WarehouseCreated,
    WarehouseIn,
    WarehouseLevelOut,
)
from inventory.application.app import InventoryApp
from inventory.application.queries import InventoryQueries

__all__ = ["router"]

router = APIRouter(tags=["inventory"])

Adjuster = Annotated[Principal, require_permission("inventory.adjust")]
Viewer = Annotated[Principal, require_permission("inventory.view")]


def _inventory(request: Request) -> InventoryApp:
    app: InventoryApp = request.app.state.inventory
    return app


def _queries(request: Request) -> InventoryQueries:
    queries: InventoryQueries = request.app.state.queries
    return queries


App = Annotated[InventoryApp, Depends(_inventory)]
Queries = Annotated[InventoryQueries, Depends(_queries)]


def _tenant(principal: Principal) -> UUID:
    # require_permission is satisfied only by a verified token; staff tokens always name a tenant.
    if principal.tenant_id is None:
        raise NotFound("no tenant")
    return principal.tenant_id


def _user_id(principal: Principal) -> UUID | None:
    try:
        return UUID(principal.subject)
    except ValueError:
        return None


@router.post("/warehouses", status_code=201)
async def register_warehouse(body: WarehouseIn, principal: Adjuster, app: App) -> WarehouseCreated:
    warehouse = await anyio.to_thread.run_sync(
        app.register_warehouse, _tenant(principal), body.code, body.name
    )
    return WarehouseCreated(warehouse_id=warehouse.id)


@router.post("/stock/adjustments", status_code=201)
async def adjust_stock(body: AdjustmentIn, principal: Adjuster, app: App) -> StockLevelOut:
    tenant_id = _tenant(principal)

    def adjust() -> StockLevelOut:
        level = app.adjust_stock(
            tenant_id,
            body.sku_id,
            body.warehouse_id,
            body.delta,
            body.reason,
            adjusted_by=_user_id(principal),
            note=body.note,
        )
        return StockLevelOut(
            sku_id=level.sku_id,
            warehouse_id=level.warehouse_id,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.available,
        )

    return await anyio.to_thread.run_sync(adjust)


@router.get("/stock/{sku_id}")
async def sku_stock(sku_id: UUID, principal: Viewer, queries: Queries) -> SkuStockOut:
    view = await queries.sku_stock(_tenant(principal), sku_id)
    if view is None:
        raise NotFound(f"no stock of SKU {sku_id}")
    return SkuStockOut(
        sku_id=view.sku_id,
        on_hand=view.on_hand,
        reserved=view.reserved,
        available=view.available,
        warehouses=[
            WarehouseLevelOut(
                warehouse_id=w.warehouse_id,
                on_hand=w.on_hand,
                reserved=w.reserved,
                available=w.available,
            )
            for w in view.warehouses
        ],
    )


@router.get("/reservations/{order_id}")
async def reservation(order_id: UUID, principal: Viewer, queries: Queries) -> ReservationOut:
    view = await queries.reservation_for_order(_tenant(principal), order_id)
    if view is None:
        raise NotFound(f"no reservation for order {order_id}")
    return ReservationOut(
        reservation_id=view.reservation_id,
        order_id=view.order_id,
        status=view.status,
        lines=view.lines,
        expires_at=view.expires_at,
        reason=view.reason,
    )
