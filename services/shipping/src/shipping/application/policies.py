"""Reactions of shipping to other services' events: sync functions returning changed aggregates.

They are called by the inbound consumer (``shipping.integration.inbound``) in a worker thread with
the message's context, and they do not save: the consumer saves what they return together with its
tracking record, so each message's effect happens exactly once.
"""

from __future__ import annotations

from uuid import UUID

from shop_contracts.events.orders import OrderCancelled, OrderConfirmed

from shipping.application.app import ShippingApp
from shipping.domain.carrier import ShipmentLine
from shipping.domain.shipment import Shipment

__all__ = ["cancel_shipment_of_order", "create_shipment_for_order"]


def create_shipment_for_order(
    app: ShippingApp, tenant_id: UUID, event: OrderConfirmed
) -> list[Shipment]:
    """orders.order_confirmed → a shipment of the order's lines to its shipping address.

    Its id is ``derived_id(order_id, "shipment")``: a redelivered confirmation finds it and
    creates nothing.
    """
    # Two lines of one SKU ship as one line (the carrier counts parcels' contents, not cart rows).
    quantities: dict[UUID, int] = {}
    for line in event.lines:
        quantities[line.sku_id] = quantities.get(line.sku_id, 0) + int(line.quantity)
    shipment = app.shipment_for_confirmed_order(
        tenant_id=tenant_id,
        order_id=event.order_id,
        lines=[ShipmentLine(sku_id=sku, quantity=qty) for sku, qty in quantities.items()],
        address=event.shipping_address.model_dump(mode="json"),
    )
    return [shipment] if shipment is not None else []


def cancel_shipment_of_order(
    app: ShippingApp, tenant_id: UUID, event: OrderCancelled
) -> list[Shipment]:
    """orders.order_cancelled → cancel the order's shipment if it has not left yet.

    No shipment (the order was never confirmed), one already cancelled, or one the carrier already
    has: nothing to do, and not an error.
    """
    shipment = app.shipment_cancelled_with_order(
        tenant_id=tenant_id, order_id=event.order_id, reason=event.reason
    )
    return [shipment] if shipment is not None else []
