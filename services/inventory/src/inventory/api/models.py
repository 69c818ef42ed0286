"""Request and response bodies of inventory's API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field
from shop_runtime.api_models import StrictModel

__all__ = [
    "AdjustmentIn",
    "ReservationOut",
    "SkuStockOut",
    "StockLevelOut",
    "WarehouseCreated",
    "WarehouseIn",
    "WarehouseLevelOut",
]

MAX_UNITS = 1_000_000_000


class WarehouseIn(StrictModel):
    code: str = Field(min_length=1, max_length=50, description="Letters, digits, '-' or '_'")
    name: str = Field(min_length=1, max_length=255)


class WarehouseCreated(BaseModel):
    warehouse_id: UUID


class AdjustmentIn(StrictModel):
    sku_id: UUID
    warehouse_id: UUID
    delta: int = Field(
        ge=-MAX_UNITS,
        le=MAX_UNITS,
        strict=True,
        description="Units added (positive) or removed (negative); 0 only for a count",
    )
    reason: str = Field(
        min_length=1,
        max_length=32,
        description="purchase, return, restock, count, adjustment or damage",
    )
    note: str | None = Field(default=None, max_length=1000)


class StockLevelOut(BaseModel):
    sku_id: UUID
    warehouse_id: UUID
    on_hand: int
    reserved: int
    available: int


class WarehouseLevelOut(BaseModel):
    warehouse_id: UUID
    on_hand: int
    reserved: int
    available: int


class SkuStockOut(BaseModel):
    sku_id: UUID
    on_hand: int
    reserved: int
    available: int
    warehouses: list[WarehouseLevelOut]


class ReservationOut(BaseModel):
    reservation_id: UUID
    order_id: UUID
    status: str
    lines: list[dict[str, Any]]
    expires_at: datetime | None
    reason: str | None = None
