"""Public events of the shipping service on ``shipping.events.v1``.

The aggregate of every event here is the shipment.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from shop_contracts.contract_models import ContractEvent, ContractValue, Quantity
from shop_contracts.ids import OrderId, ShipmentId, SkuId, WarehouseId
from shop_contracts.registry import contract
from shop_contracts.topics import SHIPPING_EVENTS

__all__ = [
    "DeliveryFailed",
    "ShipmentCreated",
    "ShipmentDelivered",
    "ShipmentLine",
    "ShipmentReturned",
    "ShipmentShipped",
]


class ShipmentLine(ContractValue):
    """Units of a SKU in a shipment, and the warehouse they ship from (or return to)."""

    sku_id: SkuId
    quantity: Quantity
    warehouse_id: WarehouseId | None = None


@contract("shipping.shipment_created", version=1, topic=SHIPPING_EVENTS)
class ShipmentCreated(ContractEvent):
    """A shipment was created for a confirmed order. Published by shipping in answer to
    orders.order_confirmed."""

    shipment_id: ShipmentId
    order_id: OrderId
    lines: list[ShipmentLine] = Field(min_length=1)
    carrier: str | None = Field(default=None, description="Courier code, if already chosen")


@contract("shipping.shipment_shipped", version=1, topic=SHIPPING_EVENTS)
class ShipmentShipped(ContractEvent):
    """The carrier picked the shipment up. Published by shipping."""

    shipment_id: ShipmentId
    order_id: OrderId
    carrier: str = Field(min_length=1)
    tracking_number: str = Field(min_length=1, description="AWB / tracking number")
    tracking_url: str | None = None
    shipped_at: AwareDatetime


@contract("shipping.shipment_delivered", version=1, topic=SHIPPING_EVENTS)
class ShipmentDelivered(ContractEvent):
    """The carrier delivered the shipment. Published by shipping."""

    shipment_id: ShipmentId
    order_id: OrderId
    delivered_at: AwareDatetime


@contract("shipping.delivery_failed", version=1, topic=SHIPPING_EVENTS)
class DeliveryFailed(ContractEvent):
    """A delivery attempt failed (a non-delivery report, NDR); shipping will reattempt or return
    the shipment to origin. Published by shipping."""

    shipment_id: ShipmentId
    order_id: OrderId
    attempt: int = Field(ge=1, description="Which delivery attempt failed, from 1")
    reason_code: str = Field(
        min_length=1,
        description="customer_unavailable, wrong_address, refused, incomplete_address, "
        "cod_not_ready, ...",
    )
    reason_description: str | None = None
    failed_at: AwareDatetime


@contract("shipping.shipment_returned", version=1, topic=SHIPPING_EVENTS)
class ShipmentReturned(ContractEvent):
    """The shipment came back to origin (return to origin after failed delivery, or a customer
    return); inventory restocks the lines. Published by shipping."""

    shipment_id: ShipmentId
    order_id: OrderId
    lines: list[ShipmentLine] = Field(min_length=1)
    reason: str = Field(min_length=1, description="rto, customer_return, ...")
    returned_at: AwareDatetime
