"""Subscriptions of the checkout saga: consumer group ``orders-saga`` on ``inventory.events.v1``,
``payments.events.v1`` and ``shipping.events.v1`` (an `EventStoreConsumer`: the orders it changes
are saved with the consumer's tracking record and the message id, exactly once).

Every subscription of the saga is listed here; the catalog price feed (a SQL sink) is in
`orders.adapters.catalog_prices`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shop_contracts.topics import INVENTORY_EVENTS, PAYMENTS_EVENTS, SHIPPING_EVENTS
from shop_runtime.consumer import EventStoreConsumer, InboundMessage

from orders.application import policies
from orders.application.app import OrdersApp
from orders.domain.order import Order

__all__ = ["SAGA_GROUP", "SAGA_TOPICS", "SUBSCRIPTIONS", "register_saga_handlers", "saga_consumer"]

SAGA_GROUP = "orders-saga"
SAGA_TOPICS = (INVENTORY_EVENTS, PAYMENTS_EVENTS, SHIPPING_EVENTS)

Policy = Callable[[OrdersApp, policies.EventMeta, Any], list[Order]]

SUBSCRIPTIONS: dict[str, Policy] = {
    "inventory.stock_reserved": policies.on_stock_reserved,
    "inventory.reservation_failed": policies.on_reservation_failed,
    "inventory.reservation_released": policies.on_reservation_released,
    "payments.payment_authorized": policies.on_payment_authorized,
    "payments.payment_failed": policies.on_payment_failed,
    "payments.payment_refunded": policies.on_payment_refunded,
    "shipping.shipment_shipped": policies.on_shipment_shipped,
    "shipping.delivery_failed": policies.on_delivery_failed,
    "shipping.shipment_delivered": policies.on_shipment_delivered,
    "shipping.shipment_returned": policies.on_shipment_returned,
}


def _handler(app: OrdersApp, policy: Policy) -> Callable[[InboundMessage], list[Order]]:
    def handle(message: InboundMessage) -> list[Order]:
        meta = policies.EventMeta(
            tenant_id=message.tenant_id,
            event_type=message.envelope.event_type,
            event_id=message.event_id,
        )
        return policy(app, meta, message.event)

    return handle


def register_saga_handlers(consumer: EventStoreConsumer, app: OrdersApp) -> EventStoreConsumer:
    for event_type, policy in SUBSCRIPTIONS.items():
        consumer.on(event_type, _handler(app, policy))
    return consumer


def saga_consumer(app: OrdersApp, **kwargs: Any) -> EventStoreConsumer:
    """The saga's consumer over ``app`` (pass ``topics=`` / ``group_id=`` to override, in tests)."""
    kwargs.setdefault("group_id", SAGA_GROUP)
    kwargs.setdefault("topics", SAGA_TOPICS)
    return register_saga_handlers(EventStoreConsumer(app, **kwargs), app)
