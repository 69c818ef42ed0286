"""Subscriptions of payments: ``orders.events.v1`` in consumer group ``payments``.

| event type                 | policy                          |
|----------------------------|---------------------------------|
| orders.payment_requested   | create payment, request authorization |
| orders.order_confirmed     | request capture (capture on confirmation) |
| orders.order_cancelled     | request void / refund, or nothing |

Every other orders event is skipped (and tracked) by the consumer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shop_contracts.events.orders import OrderCancelled, OrderConfirmed, PaymentRequested
from shop_contracts.topics import ORDERS_EVENTS
from shop_runtime.consumer import EventStoreConsumer, InboundMessage

from payments.application import policies
from payments.application.app import PaymentsApp
from payments.domain.payment import Payment

__all__ = ["CONSUMER_GROUP", "TOPICS", "handlers", "register"]

CONSUMER_GROUP = "payments"
TOPICS = (ORDERS_EVENTS,)


def handlers(app: PaymentsApp) -> dict[str, Callable[[InboundMessage], list[Payment]]]:
    """Event type → handler (sync, returns the aggregates to save)."""

    def payment_requested(message: InboundMessage) -> list[Payment]:
        event = _typed(message.event, PaymentRequested)
        return policies.on_payment_requested(app, message.tenant_id, event)

    def order_confirmed(message: InboundMessage) -> list[Payment]:
        event = _typed(message.event, OrderConfirmed)
        return policies.on_order_confirmed(app, message.tenant_id, event)

    def order_cancelled(message: InboundMessage) -> list[Payment]:
        event = _typed(message.event, OrderCancelled)
        return policies.on_order_cancelled(app, message.tenant_id, event)

    return {
        "orders.payment_requested": payment_requested,
        "orders.order_confirmed": order_confirmed,
        "orders.order_cancelled": order_cancelled,
    }


def register(consumer: EventStoreConsumer, app: PaymentsApp) -> None:
    for event_type, handler in handlers(app).items():
        consumer.on(event_type, handler)


def _typed(event: Any, cls: type[Any]) -> Any:
    if not isinstance(event, cls):
        raise TypeError(f"expected {cls.__name__}, got {type(event).__name__}")
    return event
