"""Public events of the inventory service (stock levels, reservations) on ``inventory.events.v1``.

Stock events have the stock item (SKU x warehouse) as aggregate; reservation events have the
reservation, whose id is ``derived_id(order_id, "reservation")``.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from shop_contracts.contract_models import ContractEvent, ContractValue, NonNegativeInt, Quantity
from shop_contracts.ids import OrderId, ReservationId, SkuId, UserId, WarehouseId
from shop_contracts.registry import contract
from shop_contracts.topics import INVENTORY_EVENTS

__all__ = [
    "LowStock",
    "ReservationCommitted",
    "ReservationFailed",
    "ReservationLine",
    "ReservationReleased",
    "Shortage",
    "StockAdjusted",
    "StockLevelChanged",
    "StockReserved",
]


class ReservationLine(ContractValue):
    """Units of one SKU held in one warehouse for an order."""

    sku_id: SkuId
    warehouse_id: WarehouseId
    quantity: Quantity


class Shortage(ContractValue):
    """A SKU an order asked for more of than is available."""

    sku_id: SkuId
    requested: Quantity
    available: NonNegativeInt


@contract("inventory.stock_adjusted", version=1, topic=INVENTORY_EVENTS)
class StockAdjusted(ContractEvent):
    """The on-hand quantity of a SKU in a warehouse changed (receipt, count, damage, return,
    restock). Published by inventory; aggregate = the stock item."""

    sku_id: SkuId
    warehouse_id: WarehouseId
    delta: int = Field(description="Change of the on-hand quantity, negative for a decrease")
    on_hand: NonNegativeInt = Field(description="On-hand quantity after the change")
    reserved: NonNegativeInt = Field(description="Reserved quantity after the change")
    available: int = Field(description="on_hand - reserved after the change")
    reason: str = Field(
        min_length=1,
        description="Movement type: purchase, count, adjustment, damage, return, restock, ...",
    )
    adjusted_by: UserId | None = Field(default=None, description="None when automatic")


@contract("inventory.stock_reserved", version=1, topic=INVENTORY_EVENTS)
class StockReserved(ContractEvent):
    """Every line of an order is reserved (all or nothing) until ``expires_at``. Published by
    inventory in answer to orders.order_placed; aggregate = the reservation."""

    reservation_id: ReservationId
    order_id: OrderId
    lines: list[ReservationLine] = Field(min_length=1)
    expires_at: AwareDatetime


@contract("inventory.reservation_failed", version=1, topic=INVENTORY_EVENTS)
class ReservationFailed(ContractEvent):
    """An order could not be reserved; nothing was held. Published by inventory in answer to
    orders.order_placed; aggregate = the reservation."""

    reservation_id: ReservationId
    order_id: OrderId
    reason: str = Field(min_length=1, description="e.g. out_of_stock, unknown_sku")
    shortages: list[Shortage] = Field(default_factory=list)


@contract("inventory.reservation_released", version=1, topic=INVENTORY_EVENTS)
class ReservationReleased(ContractEvent):
    """A reservation was given back to available stock (order cancelled or reservation expired).
    Published by inventory; aggregate = the reservation."""

    reservation_id: ReservationId
    order_id: OrderId
    reason: str = Field(min_length=1, description="e.g. order_cancelled, expired")
    lines: list[ReservationLine] = Field(min_length=1)


@contract("inventory.reservation_committed", version=1, topic=INVENTORY_EVENTS)
class ReservationCommitted(ContractEvent):
    """A reservation became a sale: the units left on-hand stock. Published by inventory after
    orders.order_confirmed; aggregate = the reservation."""

    reservation_id: ReservationId
    order_id: OrderId
    lines: list[ReservationLine] = Field(min_length=1)


@contract("inventory.low_stock", version=1, topic=INVENTORY_EVENTS)
class LowStock(ContractEvent):
    """The available quantity of a SKU in a warehouse fell to or below its reorder point.
    Published by inventory; aggregate = the stock item."""

    sku_id: SkuId
    warehouse_id: WarehouseId
    available: int
    reorder_point: NonNegativeInt


@contract("inventory.stock_level_changed", version=1, topic=INVENTORY_EVENTS)
class StockLevelChanged(ContractEvent):
    """The absolute stock level of a SKU in a warehouse after any change (adjustment, reservation,
    release, commit). Published by inventory for every change of a stock item, beside the event
    that says why; aggregate = the stock item, so ``aggregate_version`` orders the levels of one
    item (a consumer keeps the level with the highest version, e.g. as an external version)."""

    sku_id: SkuId
    warehouse_id: WarehouseId
    on_hand: NonNegativeInt = Field(description="On-hand quantity after the change")
    reserved: NonNegativeInt = Field(description="Reserved quantity after the change")
    available: int = Field(description="on_hand - reserved after the change")
