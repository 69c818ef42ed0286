"""Aggregate events → public contract events on ``shipping.events.v1`` (for the relay).

Public: Created, Shipped, Delivered, DeliveryFailed, ReturnedToOrigin. Everything else (labels,
tracking records, out-for-delivery, NDR actions, RTO initiated, cancellations) is private and
translates to None. Each public aggregate event carries what its contract needs, so translation
never loads the aggregate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_contracts import ContractEvent
from shop_contracts.events.shipping import (
    DeliveryFailed,
    ShipmentCreated,
    ShipmentDelivered,
    ShipmentLine,
    ShipmentReturned,
    ShipmentShipped,
)

__all__ = ["translate"]


def _lines(lines: Iterable[Mapping[str, Any]]) -> list[ShipmentLine]:
    return [
        ShipmentLine(
            sku_id=line["sku_id"],
            quantity=line["quantity"],
            warehouse_id=line.get("warehouse_id"),
        )
        for line in lines
    ]


def translate(domain_event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """The contract event for ``domain_event``, or None if it is private."""
    e: Any = domain_event
    shipment_id = domain_event.originator_id
    match type(domain_event).__qualname__:
        case "Shipment.Created":
            return ShipmentCreated(
                shipment_id=shipment_id,
                order_id=e.order_id,
                lines=_lines(e.lines),
                carrier=e.carrier,
            )
        case "Shipment.Shipped":
            return ShipmentShipped(
                shipment_id=shipment_id,
                order_id=e.order_id,
                carrier=e.carrier,
                tracking_number=e.tracking_number,
                tracking_url=e.tracking_url,
                shipped_at=e.shipped_at,
            )
        case "Shipment.Delivered":
            return ShipmentDelivered(
                shipment_id=shipment_id, order_id=e.order_id, delivered_at=e.delivered_at
            )
        case "Shipment.DeliveryFailed":
            return DeliveryFailed(
                shipment_id=shipment_id,
                order_id=e.order_id,
                attempt=e.attempt,
                reason_code=e.reason_code,
                reason_description=e.reason_description,
                failed_at=e.failed_at,
            )
        case "Shipment.ReturnedToOrigin":
            return ShipmentReturned(
                shipment_id=shipment_id,
                order_id=e.order_id,
                lines=_lines(e.lines),
                reason=e.reason,
                returned_at=e.returned_at,
            )
    return None
