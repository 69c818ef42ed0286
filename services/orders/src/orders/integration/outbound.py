"""The order's stored events → the public events of ``orders.events.v1`` (for the relay).

Each stored event carries everything its contract needs (the relay never loads an aggregate).
``DeliveryAttemptFailed`` and ``Returned`` are private (shipping publishes the facts);
``CompensationRequested`` goes out as another ``orders.order_cancelled`` (see
`orders.application.policies`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_contracts import ContractEvent
from shop_contracts.events.orders import (
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PaymentRequested,
)
from shop_contracts.money import Money

from orders.domain.order import Order

# The event classes are made by the @event decorators at class creation: invisible to mypy.
_Order: Any = Order

__all__ = ["translate"]


def _money(amount: Any, currency: str) -> Money:
    return Money.of(amount, currency)


def translate(event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """The public event for ``event``, or None for a private one."""
    e: Any = event
    order_id = event.originator_id
    if isinstance(event, _Order.Placed):
        currency = e.currency
        return OrderPlaced(
            order_id=order_id,
            order_number=e.order_number,
            customer_id=e.customer_id,
            currency=currency,
            lines=[
                {
                    "sku_id": ln["sku_id"],
                    "product_id": ln["product_id"],
                    "product_name": ln["product_name"],
                    "quantity": ln["quantity"],
                    "unit_price": _money(ln["unit_price"], currency),
                    "line_total": _money(ln["line_total"], currency),
                }
                for ln in e.lines
            ],
            totals={
                name: _money(getattr(e, name), currency)
                for name in ("subtotal", "discount", "tax", "shipping", "total")
            },
            shipping_address=e.shipping_address,
            billing_address=e.billing_address,
        )
    if isinstance(event, _Order.PaymentRequested):
        return PaymentRequested(
            order_id=order_id,
            payment_id=e.payment_id,
            customer_id=e.customer_id,
            amount=_money(e.amount, e.currency),
            payment_token=getattr(e, "payment_token", None),
        )
    if isinstance(event, _Order.Confirmed):
        return OrderConfirmed(
            order_id=order_id,
            order_number=e.order_number,
            reservation_id=e.reservation_id,
            payment_id=e.payment_id,
            total=_money(e.amount, e.currency),
            lines=e.lines,
            shipping_address=e.shipping_address,
        )
    if isinstance(event, _Order.Cancelled | _Order.CompensationRequested):
        return OrderCancelled(
            order_id=order_id,
            reason=e.reason,
            reservation_id=e.reservation_id,
            payment_id=e.payment_id,
            cancelled_by=getattr(e, "cancelled_by", None),
        )
    if isinstance(event, _Order.Shipped):
        return OrderShipped(
            order_id=order_id,
            shipment_id=e.shipment_id,
            carrier=e.carrier,
            tracking_number=e.tracking_number,
        )
    if isinstance(event, _Order.Delivered):
        return OrderDelivered(order_id=order_id, shipment_id=e.shipment_id, delivered_at=e.at)
    if isinstance(event, _Order.Refunded):
        return OrderRefunded(
            order_id=order_id,
            payment_id=e.payment_id,
            amount=_money(e.amount, e.currency),
            reason=e.reason,
        )
    return None
